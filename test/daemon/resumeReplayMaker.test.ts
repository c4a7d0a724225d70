/**
 * A resumed MAKER stage never asks an answered sample again. Samples are not logged one by one
 * (a MAKER run draws millions); a decided step's vote is, and a decided step is never voted
 * again. The log of a 6-step stage (votes that disagree, a red flag, a snapshot every 2 steps
 * and the compaction after it) is cut after every one of its events, as a kill -9 there would
 * leave it, and with a `mission.suspended` after the cut, as a SIGTERM would; a daemon resumes
 * each copy, and the provider counts its calls by step: no step the cut log decided is sampled
 * again. And a real graceful stop in the middle of a step (samples answered, one in flight):
 * the resumed vote counts the answered samples and asks only the one that was in flight again.
 */
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Provider } from '../../actors/providers/provider.js';
import { registerProviderKind } from '../../actors/providers/providerKinds.js';
import { estimateUsage } from '../../actors/providers/usage.js';
import { EventLog } from '../../log/eventLog.js';
import { runMission } from '../../runner/runMission.js';
import { daemonsPerTest, until } from '../helpers/daemonServer.js';
import { cutLog } from '../helpers/cutLog.js';
import { mission, runAndRead, tempDir } from '../helpers/missions.js';

const serve = daemonsPerTest();

/** Every sample drawn, as `<step>.<index>` (the caller's tail). */
const calls: string[] = [];
/** A sample to hold until its call is aborted, and what to do when it is asked. */
let hold: { sample: string; reached: () => void } | undefined;

/**
 * Counts: `count: N` is answered N+1, except at step 2, where sample 1 says N+2 (a vote that
 * disagrees), and at step 3, where sample 0 mumbles (a red flag).
 */
function answer(sample: string, prompt: string): string {
  const n = Number(/count: (\d+)/.exec(prompt)?.[1]);
  if (sample === '3.0') return `um, ${n + 1}`;
  const next = sample === '2.1' ? n + 2 : n + 1;
  return JSON.stringify({ answer: next, next_state: next, done: false });
}

registerProviderKind('countedMaker', {
  schema: z.strictObject({}),
  create: (id): Provider => ({
    id,
    kind: 'countedMaker',
    complete: async (request, signal) => {
      const sample = request.caller!.split('#').at(-1)!;
      calls.push(sample);
      if (hold?.sample === sample) {
        hold.reached();
        await new Promise((_, reject) =>
          signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true }),
        );
      }
      const text = answer(sample, request.prompt);
      return {
        text,
        usage: estimateUsage(request.prompt, text),
        costUsd: 0,
        latencyMs: 0,
        provider: id,
        model: 'counted',
      };
    },
  }),
});

/** Counting to 6, two samples ahead to decide a step, a snapshot (and a compaction) every 2 steps. */
const makerMission = (maker: { firstBatch?: number; snapshotEvery?: number } = {}) =>
  mission({
    // A kind registered here: the config's types know only the built-in ones.
    providers: { model: { kind: 'countedMaker' } as never },
    agents: [{ id: 'counter', provider: 'model' }],
    stages: [
      {
        name: 'count',
        maker: {
          task: { kind: 'json', initialState: 0, prompt: 'count: {{state}}', goal: 6 },
          agent: 'counter',
          k: 2,
          maxSamples: 10,
          snapshotEvery: 2,
          ...maker,
        },
      },
    ],
  });

/** Steps a log decided: those its last snapshot covers and those a decided vote after it names. */
function decidedIn(lines: string[]): Set<number> {
  const decided = new Set<number>();
  for (const e of lines.map((l) => JSON.parse(l))) {
    if (e.type === 'maker.snapshot') for (let s = 0; s < e.step; s++) decided.add(s);
    if (e.type === 'maker.vote' && e.outcome === 'decided') decided.add(e.step);
  }
  return decided;
}

const stepOf = (sample: string) => Number(sample.split('.')[0]);

describe('resume replays a MAKER stage’s answered samples', () => {
  it('should sample no decided step again, whichever event a kill -9 or a SIGTERM came after', async () => {
    // The log as it was after each event: a snapshot compacts the votes before it away.
    const dir = tempDir();
    const states: string[][] = [];
    const read = () => readFileSync(EventLog.pathFor(dir, 'm1'), 'utf8').trim().split('\n');
    const straight = await runAndRead(makerMission(), {
      stateDir: dir,
      onEvent: (e) => e.type !== 'mission.finished' && states.push(read()),
    });
    expect(straight.output.status).toBe('succeeded');
    const all = calls.splice(0);
    // 6 steps of 2 samples, two more at step 2 (A, B, A is no lead of 2) and one at step 3 (a red flag).
    expect(all).toHaveLength(15);
    expect(states.filter((l) => l.at(-1)!.includes('"type":"maker.snapshot"'))).toHaveLength(3);
    const again: string[] = [];
    let resumed = 0;
    for (const [cut, prefix] of states.entries()) {
      for (const suspended of [false, true]) {
        const decided = decidedIn(prefix);
        const { stateDir } = cutLog(prefix, suspended);
        const d = await serve({ stateDir });
        const status = await until(d, 'm1', 'succeeded');
        expect(status.result, `cut after event ${cut + 1}`).toBe(straight.output.result);
        await d.close();
        for (const s of calls.splice(0))
          if (decided.has(stepOf(s)))
            again.push(`${cut + 1}${suspended ? '+suspended' : ''}: ${s}`);
        resumed++;
      }
    }
    expect(resumed).toBe(2 * states.length);
    expect(again).toEqual([]);
  }, 120_000);

  it('should count the samples a graceful stop found answered, and ask only the one in flight again', async () => {
    const stateDir = tempDir();
    const suspend = new AbortController();
    // Step 2's first batch: sample 0 says 3, sample 1 says 4, sample 2 is still out when the
    // mission is stopped.
    hold = { sample: '2.2', reached: () => setImmediate(() => suspend.abort()) };
    // No snapshot: the log keeps every record to look at.
    const wide = makerMission({ firstBatch: 3, snapshotEvery: 100 });
    const first = await runMission(wide, {
      stateDir,
      logger: pino({ level: 'silent' }),
      missionId: 'm1',
      suspend: suspend.signal,
    });
    hold = undefined;
    expect(first.output.status).toBe('suspended');
    const before = calls.splice(0);
    expect(before.filter((s) => stepOf(s) === 2).sort()).toEqual(['2.0', '2.1', '2.2']);

    const d = await serve({ stateDir });
    const status = await until(d, 'm1', 'succeeded');
    await d.close();
    const after = calls.splice(0);
    // Asked again at step 2: the sample that was in flight, and those the vote needs after it.
    const step2 = after.filter((s) => stepOf(s) === 2);
    expect(status.result).toBe(JSON.stringify({ steps: 6, state: { value: 6, done: false } }));
    expect(step2).toEqual(['2.2', '2.3']);
    // The stop logged the two answered samples, once; the vote counted them with the two after.
    const events = EventLog.read(EventLog.pathFor(stateDir, 'm1'));
    expect(events.filter((e) => e.type === 'maker.samples')).toEqual([
      expect.objectContaining({
        step: 2,
        samples: [
          { index: 0, text: answer('2.0', 'count: 2'), completionTokens: expect.any(Number) },
          { index: 1, text: answer('2.1', 'count: 2'), completionTokens: expect.any(Number) },
        ],
      }),
    ]);
    const vote = events.find((e) => e.type === 'maker.vote' && e.step === 2);
    expect(vote).toMatchObject({ outcome: 'decided', samples: 4 });
    expect(Object.values(vote?.type === 'maker.vote' ? vote.tallies! : {})).toEqual([3, 1]);
  }, 30_000);
});
