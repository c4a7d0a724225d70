/**
 * What tracing costs (issue 18's "Tracing overhead on the same bench"): a MAKER Hanoi mission
 * through the real runtime, run alternately with tracing off and on (an in-memory exporter
 * behind the batch processor, as `maestro` registers the OTLP one), the median µs per decided
 * step of each and their ratio, in one process. Off cannot be compared with a build that has no
 * tracing calls at all, so its cost is bounded from the other side: the no-op tracer's span
 * calls, timed alone, times the spans a step makes (a sample's `chat`), as a share of a step.
 *
 *   npx tsx bench/tracing.ts [--disks 14] [--steps 10000] [--rounds 5]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { pino } from 'pino';
import { missionSchema } from '../config/mission.js';
import { tracer } from '../kernel/tracing.js';
import { runMission } from '../runner/runMission.js';
import { startTracing } from '../runner/tracing.js';

const { values: a } = parseArgs({
  options: {
    disks: { type: 'string', default: '14' },
    steps: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '5' },
  },
});
const STEPS = Number(a.steps);
const config = missionSchema.parse({
  name: 'hanoi-trace',
  providers: { model: { kind: 'simulated', seed: 3, errorRate: 0.01, task: { kind: 'hanoi' } } },
  agents: [{ id: 'solver', provider: 'model' }],
  stages: [
    {
      name: 'solve',
      maker: {
        task: { kind: 'hanoi', disks: Number(a.disks) },
        agent: 'solver',
        k: 2,
        maxSteps: STEPS,
      },
    },
  ],
});
const dir = mkdtempSync(join(tmpdir(), 'maestro-bench-trace-'));
const logger = pino({ level: 'silent' });
let n = 0;

async function run(traced: boolean): Promise<{ usPerStep: number; spans: number }> {
  const exporter = new InMemorySpanExporter();
  const tracing = traced ? startTracing({ version: 'bench', exporter, env: {} }) : undefined;
  const started = performance.now();
  const { output } = await runMission(config, { stateDir: dir, logger, missionId: `m${++n}` });
  const ms = performance.now() - started;
  if (output.status !== 'succeeded' && output.status !== 'failed')
    throw new Error(`mission ${output.status}`);
  await tracing?.flush();
  const spans = exporter.getFinishedSpans().length;
  await tracing?.shutdown();
  return { usPerStep: (ms * 1000) / STEPS, spans };
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;

try {
  console.log(
    `tracing bench: Hanoi MAKER, ${STEPS} steps a run, ${a.rounds} rounds of off/on, node ${process.version}`,
  );
  await run(false); // warm-up
  const off: number[] = [];
  const on: number[] = [];
  let spans = 0;
  for (let r = 0; r < Number(a.rounds); r++) {
    // Which goes first alternates: a run's place in the round (the heap the one before it left)
    // must not count as tracing's cost.
    for (const traced of r % 2 === 0 ? [false, true] : [true, false]) {
      const t = await run(traced);
      (traced ? on : off).push(t.usPerStep);
      if (traced) spans = t.spans;
    }
  }
  const mOff = median(off);
  const mOn = median(on);
  console.log(`off                 ${mOff.toFixed(1)} µs/step`);
  console.log(
    `on (in-memory)      ${mOn.toFixed(1)} µs/step, ${spans} spans a run (${(spans / STEPS).toFixed(1)} a step); ×${(mOn / mOff).toFixed(3)} (${(((mOn - mOff) / mOff) * 100).toFixed(1)}% over off; target < 15%)`,
  );
  // off's own cost: the no-op tracer's calls, timed alone, for the spans a step would make
  trace.disable();
  const calls = 200_000;
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) {
    const s = tracer().startSpan('chat m', { attributes: { 'gen_ai.operation.name': 'chat' } });
    s.setAttributes({ 'gen_ai.usage.input_tokens': 1 });
    s.end();
  }
  const usPerSpan = ((performance.now() - t0) * 1000) / calls;
  const perStep = (spans / STEPS) * usPerSpan;
  console.log(
    `off, its span calls ${usPerSpan.toFixed(3)} µs a no-op span × ${(spans / STEPS).toFixed(1)} a step = ${perStep.toFixed(2)} µs, ${((perStep / mOff) * 100).toFixed(2)}% of a step (target ≤ 1%)`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
