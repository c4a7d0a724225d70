/**
 * Reading a JSONL log without holding it whole: its complete lines forwards in chunks, the end of
 * its last complete line, its last line, and the last occurrence of a marker, backwards. One
 * implementation, for `EventLog` (reopening a log) and recovery (folding one).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const CHUNK = 4 << 20;

/**
 * The complete lines of a file with their byte offsets and 1-based numbers, read in chunks. A
 * last line with no newline is torn, even when it parses: `EventLog.open` cuts it off, so what
 * it says never happened.
 */
export function* linesOf(file: string): Generator<{ line: string; offset: number; n: number }> {
  const fd = openSync(file, 'r');
  try {
    const chunk = Buffer.alloc(CHUNK);
    let carry = Buffer.alloc(0);
    let offset = 0;
    let n = 0;
    for (
      let read = readSync(fd, chunk, 0, CHUNK, null);
      read > 0;
      read = readSync(fd, chunk, 0, CHUNK, null)
    ) {
      const buf =
        carry.length > 0
          ? Buffer.concat([carry, chunk.subarray(0, read)])
          : chunk.subarray(0, read);
      let start = 0;
      for (let nl = buf.indexOf(0x0a, start); nl !== -1; nl = buf.indexOf(0x0a, start)) {
        yield { line: buf.toString('utf8', start, nl), offset: offset + start, n: ++n };
        start = nl + 1;
      }
      carry = Buffer.from(buf.subarray(start));
      offset += start;
    }
  } finally {
    closeSync(fd);
  }
}

/** Bytes up to the end of the last complete line (a torn last line is left out). */
export function completeLength(fd: number): number {
  const size = fstatSync(fd).size;
  const buf = Buffer.alloc(Math.min(CHUNK, size));
  for (let end = size; end > 0; end -= buf.length) {
    const from = Math.max(0, end - buf.length);
    const n = readSync(fd, buf, 0, end - from, from);
    const nl = buf.subarray(0, n).lastIndexOf(0x0a);
    if (nl !== -1) return from + nl + 1;
  }
  return 0;
}

/** The complete line that ends at byte `end` (just after its newline), without the newline. */
export function lineBefore(fd: number, end: number): string | undefined {
  if (end <= 0) return undefined;
  for (let chunk = 4096; ; chunk *= 4) {
    const from = Math.max(0, end - 1 - chunk);
    const buf = Buffer.alloc(end - 1 - from);
    readSync(fd, buf, 0, buf.length, from);
    const nl = buf.lastIndexOf(0x0a);
    if (nl !== -1 || from === 0) return buf.toString('utf8', nl + 1);
  }
}

/** The byte offset of the last `marker` in the file's complete lines, read backwards in chunks; -1 if none. */
export function lastOffsetOf(file: string, marker: string): number {
  const needle = Buffer.from(marker);
  const fd = openSync(file, 'r');
  try {
    const size = completeLength(fd);
    const buf = Buffer.alloc(CHUNK + needle.length);
    for (let end = size; end > 0; end -= CHUNK) {
      const from = Math.max(0, end - CHUNK);
      // Overlap the next window by the marker's length, so one cut in two is still found.
      const n = readSync(fd, buf, 0, Math.min(size, end + needle.length) - from, from);
      const at = buf.subarray(0, n).lastIndexOf(needle);
      if (at !== -1) return from + at;
    }
    return -1;
  } finally {
    closeSync(fd);
  }
}
