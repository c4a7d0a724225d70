/**
 * A `fetch` for the openai SDK that bounds what a response may cost: the SDK reads a whole body
 * into memory, so a server that answers 100 MB (or streams without end) would be held whole, or
 * forever. This one refuses a Content-Length over the cap before reading, counts the body's bytes
 * as they arrive and cancels it (closing the connection) once more than the cap has come, and
 * ends a body still arriving when the attempt's timeout is up: the SDK's own timeout stops at the
 * headers. The error is the body's read error, so whoever reads it (our `complete`, or the SDK
 * for an error status) gets it instead of the bytes.
 */
import { ProviderAnswerCapError, ProviderTimeoutError } from './errors.js';

type Fetch = typeof globalThis.fetch;

export interface CappedFetchOptions {
  provider: string;
  maxBytes: number;
  /** From the start of the request to the body's last byte. */
  timeoutMs: number;
  /** @default globalThis.fetch */
  fetch?: Fetch;
}

export function cappedFetch(o: CappedFetchOptions): Fetch {
  const inner = o.fetch ?? globalThis.fetch;
  return async (input, init) => {
    const started = performance.now();
    const response = await inner(input, init);
    if (response.body === null) return response;
    const length = Number(response.headers.get('content-length') ?? Number.NaN);
    const over = () => new ProviderAnswerCapError(o.provider, 'maxAnswerBytes', o.maxBytes);
    const late = () =>
      new ProviderTimeoutError(o.provider, o.timeoutMs, { detail: 'the body was still arriving' });
    const timeLeft = Math.max(0, o.timeoutMs - (performance.now() - started));
    const body =
      length > o.maxBytes
        ? failedBody(response.body, over())
        : cappedBody(response.body, o.maxBytes, over, timeLeft, late);
    return new Response(body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}

/** A body that fails on its first read, the original one cancelled unread. */
function failedBody(
  original: ReadableStream<Uint8Array>,
  error: Error,
): ReadableStream<Uint8Array> {
  void original.cancel(error).catch(() => {});
  return new ReadableStream({ start: (controller) => controller.error(error) });
}

function cappedBody(
  original: ReadableStream<Uint8Array>,
  maxBytes: number,
  over: () => Error,
  timeoutMs: number,
  late: () => Error,
): ReadableStream<Uint8Array> {
  const reader = original.getReader();
  let seen = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  // Once failed, a read still pending (it ends when the cancel lands) must not touch the stream.
  let failed = false;
  const fail = (controller: ReadableStreamDefaultController<Uint8Array>, error: unknown): void => {
    if (failed) return;
    failed = true;
    clearTimeout(timer);
    controller.error(error);
    void reader.cancel(error).catch(() => {});
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      timer = setTimeout(() => fail(controller, late()), timeoutMs);
      timer.unref?.();
    },
    async pull(controller) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (err) {
        fail(controller, err);
        return;
      }
      if (failed) return;
      if (chunk.done) {
        clearTimeout(timer);
        controller.close();
        return;
      }
      seen += chunk.value.byteLength;
      if (seen > maxBytes) fail(controller, over());
      else controller.enqueue(chunk.value);
    },
    cancel(reason) {
      clearTimeout(timer);
      return reader.cancel(reason);
    },
  });
}
