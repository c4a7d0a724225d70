// Run by test/package/pack.test.ts: the NATS half of the package loads on its own subpath.
import { NatsTransport } from 'maestro/nats';

console.log('NatsTransport', typeof NatsTransport);
