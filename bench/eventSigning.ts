/**
 * What signing the mirrored events costs, in one run: µs per event to HMAC a record and to
 * verify it, against what an event already costs without a signature (the local log's append,
 * and the publish to MAESTRO_EVENTS with its ack) — each over a small event (a MAKER vote) and a
 * large one (a stage's 4 KiB output). The stream rounds alternate unsigned and signed, so drift
 * on a shared machine hits both alike; the figure kept is each one's best round.
 *
 *   npx tsx bench/eventSigning.ts [--events 100000] [--stream-events 5000] [--rounds 3] [--nats URL]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { jetstream } from '@nats-io/jetstream';
import { connect, headers } from '@nats-io/transport-node';
import { EventLog } from '../log/eventLog.js';
import { EventSigner, SIGNATURE_HEADER } from '../transport/eventSignature.js';
import {
  eventsSubject,
  NatsEventStream,
  type StreamedEvent,
} from '../transport/natsEventStream.js';
import { startNatsServer } from '../test/helpers/natsServer.js';

const { values: a } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    'stream-events': { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '3' },
    nats: { type: 'string' },
  },
});
const N = Number(a.events);
const S = Number(a['stream-events']);
const ROUNDS = Number(a.rounds);
const signer = new EventSigner(Buffer.alloc(32, 5));
const shapes = {
  vote: (seq: number, mission: string): StreamedEvent => ({
    seq,
    ts: '2026-12-03T13:00:00.000Z',
    mission,
    type: 'maker.vote',
    stage: 'hanoi',
    step: seq,
    answer: `[${seq % 3},${(seq + 1) % 3}]`,
    votes: 3,
    samples: 4,
    redFlags: 0,
  }),
  output: (seq: number, mission: string): StreamedEvent => ({
    seq,
    ts: '2026-12-03T13:00:00.000Z',
    mission,
    type: 'stage.finished',
    stage: 'research',
    attempt: 1,
    output: 'x'.repeat(4096),
  }),
};

/** µs per call of `fn` over `n` calls. */
function perCall(n: number, fn: (i: number) => void): number {
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  return Number(process.hrtime.bigint() - t) / 1000 / n;
}

const dir = mkdtempSync(join(tmpdir(), 'maestro-bench-signing-'));
const server = a.nats ? undefined : await startNatsServer();
const nc = await connect({ servers: a.nats ?? server!.url });
const rows: [string, string, number][] = [];
try {
  for (const [shape, make] of Object.entries(shapes)) {
    const bodies = Array.from({ length: 1000 }, (_, i) => JSON.stringify(make(i + 1, 'bench')));
    const sigs = bodies.map((b) => signer.sign(b));
    const log = new EventLog(join(dir, `${shape}.jsonl`), 'bench').open();
    const { seq: _s, ts: _t, mission: _m, ...event } = make(1, 'bench');
    rows.push([
      shape,
      'local log append (unsigned, today)',
      perCall(N, () => log.append(event as never)),
    ]);
    log.close();
    rows.push([
      shape,
      'JSON.stringify of the record',
      perCall(N, (i) => JSON.stringify(make(i, 'bench'))),
    ]);
    rows.push([
      shape,
      'sign (HMAC-SHA256 + header text)',
      perCall(N, (i) => signer.sign(bodies[i % 1000]!)),
    ]);
    rows.push([
      shape,
      'verify (parse header + HMAC + compare)',
      perCall(N, (i) => signer.verify(bodies[i % 1000]!, sigs[i % 1000])),
    ]);

    const stream = await NatsEventStream.open(nc, { signer });
    const js = jetstream(nc);
    const best = { unsigned: Infinity, header: Infinity, signed: Infinity };
    for (let r = 0; r < ROUNDS; r++) {
      // The previous release's append: the same subject, body and message id, no header.
      const m1 = `u${shape}${r}`;
      let t = process.hrtime.bigint();
      const acks: Promise<unknown>[] = [];
      for (let i = 1; i <= S; i++)
        acks.push(
          js.publish(eventsSubject(m1, 'log'), JSON.stringify(make(i, m1)), {
            msgID: `${m1}:${i}`,
          }),
        );
      await Promise.all(acks);
      best.unsigned = Math.min(best.unsigned, Number(process.hrtime.bigint() - t) / 1000 / S);
      // The same publish with the signature header: signing's own cost, without the stream's bookkeeping.
      const mh = `h${shape}${r}`;
      t = process.hrtime.bigint();
      acks.length = 0;
      for (let i = 1; i <= S; i++) {
        const body = JSON.stringify(make(i, mh));
        const h = headers();
        h.set(SIGNATURE_HEADER, signer.sign(body));
        acks.push(js.publish(eventsSubject(mh, 'log'), body, { msgID: `${mh}:${i}`, headers: h }));
      }
      await Promise.all(acks);
      best.header = Math.min(best.header, Number(process.hrtime.bigint() - t) / 1000 / S);
      const m2 = `s${shape}${r}`;
      t = process.hrtime.bigint();
      for (let i = 1; i <= S; i++) stream.append(make(i, m2));
      await stream.flush();
      best.signed = Math.min(best.signed, Number(process.hrtime.bigint() - t) / 1000 / S);
    }
    rows.push([shape, 'stream append + ack, unsigned (previous release)', best.unsigned]);
    rows.push([shape, 'stream append + ack, same publish signed', best.header]);
    rows.push([shape, 'stream append + ack, signed (NatsEventStream)', best.signed]);
  }
} finally {
  await nc.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
}
console.log(
  `µs per event (${N} events in memory, ${S} per stream round, best of ${ROUNDS} rounds; vote ≈ ${JSON.stringify(shapes.vote(1, 'bench')).length} B, output ≈ ${JSON.stringify(shapes.output(1, 'bench')).length} B)`,
);
for (const [shape, what, us] of rows)
  console.log(`${shape.padEnd(7)} ${what.padEnd(52)} ${us.toFixed(2).padStart(8)} µs`);
