/**
 * A mission's events as Server-Sent Events: its history after the resume point, then live events,
 * then `event: end` after its last. Each event's `id:` is its seq, so a client that lost the
 * connection resumes with `Last-Event-ID` (or `?after=`). A stream whose client cannot keep up is
 * cut rather than allowed to grow the daemon's memory; the client resumes the same way.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DaemonApi } from './daemonApi.js';
import { HttpError } from './httpBody.js';

export interface EventStreamOptions {
  /** A `: keepalive` comment this often, so idle proxies keep the stream. */
  heartbeatMs: number;
  /** Unsent data past this many bytes cuts the stream. @default 8 MiB */
  maxBacklogBytes?: number;
  logger: { warn(obj: object, msg?: string): void };
}

export interface EventStreamRequest {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** The mission. */
  id: string;
}

/**
 * Streams mission `id`'s events to `res`. Refusals (a bad resume point, an unknown mission) are
 * thrown before any header is written, so the caller can still answer them as JSON.
 */
export function streamEvents(
  api: DaemonApi,
  { req, res, url, id }: EventStreamRequest,
  options: EventStreamOptions,
): void {
  const after = afterSeq(req.headers['last-event-id'] ?? url.searchParams.get('after') ?? '0');
  const maxBacklog = options.maxBacklogBytes ?? 8 * 1024 * 1024;
  const pending: string[] = [];
  let open = false;
  let ended = false;
  let closed = false;
  let beat: NodeJS.Timeout | undefined;
  const write = (chunk: string): void => {
    if (closed) return;
    if (!open) return void pending.push(chunk);
    res.write(chunk);
    if (res.writableLength > maxBacklog) {
      options.logger.warn(
        { mission: id, backlogBytes: res.writableLength },
        'daemon api: slow event stream cut',
      );
      res.destroy();
    }
  };
  const close = (): void => {
    if (closed) return;
    closed = true;
    clearInterval(beat);
    unsubscribe();
  };
  const finish = (): void => {
    ended = true;
    if (!open) return;
    close();
    res.end();
  };
  // The history is delivered inside this call, before the headers go: it waits in `pending`.
  const unsubscribe = api.events(
    id,
    after,
    (e) => write(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`),
    () => {
      write('event: end\ndata: {}\n\n');
      finish();
    },
  );
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-content-type-options': 'nosniff',
  });
  res.flushHeaders();
  open = true;
  res.on('close', close);
  write(pending.splice(0).join(''));
  if (ended) return void finish();
  beat = setInterval(() => write(': keepalive\n\n'), options.heartbeatMs);
}

/** The seq to resume after, from `Last-Event-ID` or `?after=`. */
function afterSeq(text: string | string[]): number {
  const n = Number(text);
  if (typeof text !== 'string' || text.trim() === '' || !Number.isSafeInteger(n) || n < 0) {
    throw new HttpError(400, `after: expected a non-negative integer, got '${String(text)}'`);
  }
  return n;
}
