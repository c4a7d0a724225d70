/**
 * A MAKER stage's progress in the daemon's status and in `maestro status`: step N of M, samples
 * per step, the red-flag rate, steps per second and an ETA, live from its events, and after a
 * restart from its log (the last snapshot and the votes after it).
 */
import { describe, expect, it } from 'vitest';
import type { LooseEvent } from '../helpers/looseEvent.js';
import { EventLog } from '../../log/eventLog.js';
import { main } from '../../cli/main.js';
import { terminalIo } from '../helpers/captureIo.js';
import { call, daemonToken, daemonsPerTest, submit, until } from '../helpers/daemonServer.js';
import { eventually } from '../helpers/eventually.js';
import { tempDir } from '../helpers/missions.js';

/** 63 steps, 10 ms a sample (a second or two in all), red flags now and then, a snapshot every 20 steps. */
const makerYaml = `name: maker-progress
providers:
  sim:
    kind: simulated
    seed: 5
    errorRate: 0.02
    latencyMs: { distribution: fixed, ms: 10 }
    task: { kind: hanoi, errorMode: dominant, redFlagRate: 0.1 }
agents: [{ id: solver, provider: sim }]
stages:
  - name: solve
    maker: { task: { kind: hanoi, disks: 6 }, agent: solver, k: 2, maxSamples: 30, redFlag: { maxChars: 1500 }, snapshotEvery: 20 }
    supervision: { intensity: 3, periodMs: 60000 }
`;

const serve = daemonsPerTest();

describe('daemon status of a MAKER stage', () => {
  it('should show step N of M, samples per step, red flags, speed and ETA while it runs, and the same counts from the log after a restart', async () => {
    const dir = tempDir('maestro-daemon-maker-');
    const d = await serve({ stateDir: dir });
    const id = await submit(d, makerYaml, { id: 'mk1' });
    let live: Record<string, any> = {};
    await eventually(async () => {
      live = (await call(d, 'GET', `/api/missions/${id}`)).json;
      expect(live.maker?.[0]?.step).toBeGreaterThan(2);
    });
    expect(live.maker).toHaveLength(1);
    // Seen a few steps in, 60 steps before its end: a rate, and an ETA for what is left.
    expect(live.maker[0]).toMatchObject({
      stage: 'solve',
      path: 'mission/mk1/stage/solve/maker/solver',
      steps: 63,
      k: 2,
      done: false,
    });
    expect(live.maker[0].stepsPerSecond).toBeGreaterThan(0);
    expect(live.maker[0].etaMs).toBeCloseTo(
      ((63 - live.maker[0].step) / live.maker[0].stepsPerSecond) * 1000,
      6,
    );
    expect(live.maker[0].samplesPerStep).toBeGreaterThanOrEqual(2); // k = 2: two samples at least

    const end = await until(d, id, 'succeeded', 20_000);
    // Counted from the votes as they were written: the log (compacted) still sums to the same.
    const events = EventLog.read(EventLog.pathFor(dir, id)) as LooseEvent[];
    const snap = events.filter((e) => e.type === 'maker.snapshot').at(-1)!;
    const tail = events.filter(
      (e) => e.type === 'maker.vote' && (e.step as number) >= (snap.step as number),
    );
    const samples = (snap.samples as number) + tail.reduce((n, e) => n + (e.samples as number), 0);
    const flagged =
      (snap.flagged as number) +
      tail.reduce(
        (n, e) =>
          n + Object.values((e.flagged ?? {}) as Record<string, number>).reduce((a, b) => a + b, 0),
        0,
      );
    expect(snap.step).toBe(60);
    expect(flagged).toBeGreaterThan(0);
    expect(end.maker).toEqual([
      expect.objectContaining({
        stage: 'solve',
        step: 63,
        steps: 63,
        samples,
        flagged,
        samplesPerStep: samples / 63,
        redFlagRate: flagged / samples,
        etaMs: 0,
        done: true,
      }),
    ]);

    const io = terminalIo();
    expect(await main(['status', id, '--url', d.server.url, '--token', daemonToken], io)).toBe(0);
    const line = io.stdout.find((l) => l.startsWith('  maker:'));
    expect(line).toMatch(
      new RegExp(
        `^  maker: {5}solve: step 63 of 63 \\(100%\\), ${(samples / 63).toFixed(2)} samples/step, [\\d.]+% red-flagged, [\\d.,]+ steps/s, done$`,
      ),
    );

    await d.close();
    const again = await serve({ stateDir: dir });
    const after = (await call(again, 'GET', `/api/missions/${id}`)).json;
    // The rate is of what a daemon saw: a new one saw no step decided.
    expect(after.maker).toEqual([
      {
        stage: 'solve',
        path: 'mission/mk1/stage/solve/maker/solver',
        step: 63,
        steps: 63,
        samples,
        flagged,
        exhausted: 0,
        samplesPerStep: samples / 63,
        redFlagRate: flagged / samples,
        done: true,
      },
    ]);
  });
});
