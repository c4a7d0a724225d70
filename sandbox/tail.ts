/** The last `limit` bytes of a stream, kept without holding the whole of it. */
export class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  /** Bytes pushed in all. */
  total = 0;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.limit <= 0) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.chunks.length > 1 && this.size - this.chunks[0]!.length >= this.limit) {
      this.size -= this.chunks.shift()!.length;
    }
  }

  /** Whether bytes were dropped from the front. */
  get cut(): boolean {
    return this.total > this.limit;
  }

  /** The kept bytes as UTF-8, starting at a character boundary. */
  text(): string {
    let buf = Buffer.concat(this.chunks).subarray(-this.limit);
    if (this.cut) {
      let skip = 0;
      while (skip < 3 && skip < buf.length && (buf[skip]! & 0xc0) === 0x80) skip++;
      buf = buf.subarray(skip);
    }
    return buf.toString('utf8');
  }
}
