export type {
  Json,
  Message,
  RequestOptions,
  SubscribeOptions,
  Subscription,
  Transport,
  TransportStatus,
} from './transport.js';
export { MemoryTransport, type MemoryTransportOptions } from './memoryTransport.js';
export {
  InvalidPayloadError,
  InvalidSubjectError,
  NoRespondersError,
  PayloadTooLargeError,
  RequestTimeoutError,
  TransportClosedError,
  TransportError,
} from './errors.js';
export { hasWildcards, subjectMatches, validateSubject, type ValidateSubjectOptions } from './subjects.js';
