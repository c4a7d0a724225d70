/**
 * The ceiling for bench/natsDispatch.ts: a raw nats.js responder that answers every request on
 * `bench.raw` (queue group `bench`) with a reply of the same size as a provider's, doing nothing
 * else. Run as its own process: `node --import tsx bench/rawResponder.ts URL`.
 */
import { connect } from '@nats-io/transport-node';

const nc = await connect({ servers: process.argv[2] });
const reply = new TextEncoder().encode(
  JSON.stringify({
    v: 1,
    ok: true,
    result: {
      text: 'move = [1,0,2]\nnext_state = [[2],[],[1]]',
      usage: { promptTokens: 170, completionTokens: 12, totalTokens: 182 },
      costUsd: 0,
      latencyMs: 0,
      provider: 'sim',
      model: 'simulated',
    },
  }),
);
nc.subscribe('bench.raw', { queue: 'bench', callback: (_err, msg) => void msg.respond(reply) });
await nc.flush();
process.stdout.write('ready\n');
process.on('SIGTERM', () => void nc.drain().then(() => process.exit(0)));
