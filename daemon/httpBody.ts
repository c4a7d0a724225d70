/**
 * The plain HTTP side of the daemon's API: a refusal with its status code, a request body read
 * under a size limit (as text or JSON), and a JSON reply that no cache or sniffer reinterprets.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A refusal with its status code, for what the request itself got wrong. */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The body as text; 413 past `max` bytes (the rest is drained, not kept). */
export function readBody(req: IncomingMessage, max: number): Promise<string> {
  const tooLarge = (): HttpError =>
    new HttpError(413, `request body too large: the limit is ${max} bytes`, {
      connection: 'close',
    });
  if (Number(req.headers['content-length']) > max) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= max) return void chunks.push(chunk);
      req.off('data', onData);
      req.resume();
      reject(tooLarge());
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
  });
}

/** The body parsed as JSON; an empty body is `{}`. */
export async function readJson(req: IncomingMessage, max: number): Promise<unknown> {
  const text = await readBody(req, max);
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, `request body is not valid JSON: ${(err as Error).message}`);
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  res.end(text);
}
