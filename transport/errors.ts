/**
 * One class per transport failure, after NATS.js: a `name`, the offending subject as a field, a
 * lowercase message that quotes it, and the underlying error as `cause`.
 */
import { SystemError } from '../kernel/errors.js';

export class TransportError extends SystemError {
  override name = 'TransportError';
}

export class NoRespondersError extends TransportError {
  override name = 'NoRespondersError';
  constructor(readonly subject: string) {
    super(`no responders: '${subject}'`);
  }
}

export class RequestTimeoutError extends TransportError {
  override name = 'RequestTimeoutError';
  constructor(
    readonly subject: string,
    readonly timeoutMs: number,
  ) {
    super(`request timed out after ${timeoutMs} ms: '${subject}'`);
  }
}

/** The transport is closed; `subject` is the operation's subject when there was one. */
export class TransportClosedError extends TransportError {
  override name = 'TransportClosedError';
  constructor(readonly subject?: string) {
    super('transport closed');
  }
}

export class InvalidSubjectError extends TransportError {
  override name = 'InvalidSubjectError';
  constructor(readonly subject: string) {
    super(`invalid subject: '${subject}'`);
  }
}

export class PayloadTooLargeError extends TransportError {
  override name = 'PayloadTooLargeError';
  constructor(
    readonly subject: string,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`payload of ${bytes} bytes exceeds the limit of ${limit}: '${subject}'`);
  }
}

/** The payload cannot be written as JSON (a function, a BigInt, a cycle, a non-finite number). */
export class InvalidPayloadError extends TransportError {
  override name = 'InvalidPayloadError';
  constructor(
    readonly subject: string,
    options?: { cause?: unknown },
  ) {
    super(`payload is not JSON-serializable: '${subject}'`, options);
  }
}

/** Why a request was abandoned: the signal's reason, or a TransportError naming the subject. */
export function abortReason(signal: AbortSignal, subject: string): unknown {
  return signal.reason ?? new TransportError(`request aborted: '${subject}'`);
}
