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
export {
  hasWildcards,
  subjectMatches,
  validateSubject,
  type ValidateSubjectOptions,
} from './subjects.js';
export {
  NatsConnectError,
  NatsTransport,
  type NatsTransportCounters,
  type NatsTransportOptions,
} from './natsTransport.js';
export {
  natsOptionsSchema,
  NatsOptionsError,
  natsTlsSchema,
  parseNatsOptions,
  registerNatsSecrets,
  toConnectionOptions,
  type NatsOptions,
  type NatsOptionsInput,
} from './natsOptions.js';
