import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { LooseEvent } from '../helpers/looseEvent.js';
import { dirname } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { EventLog } from '../../log/eventLog.js';
import { recoverMission, type MakerVoteRecord } from '../../log/missionRecovery.js';
import { formatMove, hanoiSolution, hanoiTask, type HanoiState } from '../../actors/tasks/index.js';
import { missionSchema, type MissionConfigInput } from '../../config/mission.js';
import { resumeProgress } from '../../machines/makerStageSpec.js';
import { planResume } from '../../daemon/missionResume.js';
import { runMission } from '../../runner/runMission.js';
import { mission, runAndRead, tempDir } from '../helpers/missions.js';

const PATH = 'mission/m1/stage/solve/maker/solver';

function hanoiMission(disks: number, snapshotEvery: number) {
  return mission({
    providers: {
      sim: {
        kind: 'simulated',
        seed: 5,
        errorRate: 0.02,
        task: { kind: 'hanoi', errorMode: 'dominant', redFlagRate: 0.02 },
      },
    },
    agents: [{ id: 'solver', provider: 'sim' }],
    stages: [
      {
        name: 'solve',
        maker: {
          task: { kind: 'hanoi', disks },
          agent: 'solver',
          k: 2,
          maxSamples: 30,
          snapshotEvery,
          redFlag: { maxChars: 1500 },
        },
      },
    ],
  } as Pick<MissionConfigInput, 'providers' | 'agents' | 'stages'>);
}

const decided = (events: LooseEvent[]) =>
  events.filter((e) => e.type === 'maker.vote' && e.outcome === 'decided');

describe('resuming a MAKER stage from its snapshot and the votes after it', () => {
  it('should finish a suspended (or crashed) Hanoi run from where it stopped, deciding no step twice', async () => {
    const disks = 7;
    const total = 2 ** disks - 1;
    const straight = await runAndRead(hanoiMission(disks, 20));
    expect(JSON.parse(straight.output.result!)).toEqual({
      steps: total,
      state: { pegs: [[], [], [7, 6, 5, 4, 3, 2, 1]] },
    });

    // Every event of both runs as it was written, before compaction removed any.
    const seen: LooseEvent[] = [];
    const suspend = new AbortController();
    const first = await runAndRead(hanoiMission(disks, 20), {
      suspend: suspend.signal,
      onEvent: (e) => {
        seen.push(e);
        if (e.type === 'maker.vote' && (e.step as number) >= 50 && !suspend.signal.aborted)
          queueMicrotask(() => suspend.abort());
      },
    });
    expect(first.output.status).toBe('suspended');
    const stoppedAt = decided(seen).at(-1)!.step as number;
    expect(stoppedAt).toBeGreaterThanOrEqual(50);
    expect(stoppedAt).toBeLessThan(60); // suspended before the next snapshot

    // The log after the first run: the snapshot at 40 and the votes from 40 on (older ones compacted away).
    const recovered = recoverMission(first.eventLogFile, 'm1');
    const maker = recovered.maker.get(PATH)!;
    expect(maker.snapshot?.step).toBe(40);
    expect(maker.tail.filter((v) => v.outcome === 'decided').map((v) => v.step)).toEqual(
      range(40, stoppedAt + 1),
    );
    // Had the process died instead (no mission.suspended), the budget would go on from the
    // snapshot's usage plus the samples of the votes after it: every sample the first run voted.
    const crashedDir = tempDir();
    const crashed = EventLog.pathFor(crashedDir, 'm1');
    mkdirSync(dirname(crashed));
    writeFileSync(
      crashed,
      readFileSync(first.eventLogFile, 'utf8').replace(
        /[^\n]*"type":"mission\.suspended"[^\n]*\n$/,
        '',
      ),
    );
    const afterCrash = recoverMission(crashed, 'm1');
    expect(afterCrash.lines).toBe(recovered.lines - 1);
    const drawnInFirstRun = seen
      .filter((e) => e.type === 'maker.vote')
      .reduce((n, e) => n + (e.samples as number), 0);
    expect(afterCrash.usage?.samples).toBe(drawnInFirstRun);
    expect(afterCrash.usage?.tokens).toBeGreaterThan(0);

    const config = missionSchema.parse(recovered.submitted!.config);
    const resume = planResume(recovered, config);
    expect(resume).toMatchObject({ stages: [], attempt: 1 });

    const fromResume: LooseEvent[] = [];
    const { output } = await runMission(config, {
      stateDir: first.stateDir,
      logger: pino({ level: 'silent' }),
      missionId: 'm1',
      resume,
      keySalt: recovered.submitted!.keySalt,
      usedBefore: recovered.usage,
      onEvent: (e) => fromResume.push(e),
    });
    expect(output.status).toBe('succeeded');
    expect(output.result).toBe(straight.output.result);
    const text = JSON.parse(output.result!) as { steps: number; state: HanoiState };
    expect(text.steps).toBe(total);

    // The resumed run starts at the step after the last one decided, and goes on to the end.
    const resumedSteps = decided(fromResume).map((e) => e.step as number);
    expect(resumedSteps).toEqual(range(stoppedAt + 1, total));
    // Over both runs every step was decided exactly once, and each decision was the true move.
    const allDecided = [...decided(seen), ...decided(fromResume)];
    expect(allDecided.map((e) => e.step)).toEqual(range(0, total));
    expect(allDecided.map((e) => e.answer)).toEqual([...hanoiSolution(disks)].map(formatMove));

    // The log as it is now, compacted: one snapshot, then each later step once and in order.
    const events = EventLog.read(first.eventLogFile);
    const snapshots = events.filter((e) => e.type === 'maker.snapshot');
    expect(snapshots.map((e) => e.step)).toEqual([120]);
    const after = decided(events).map((e) => e.step as number);
    expect(after).toEqual(range(120, total));
    // (A snapshot at step 120 holds the state after 120 decided steps: step 120 is the next one voted.)
    expect(snapshots[0]).toMatchObject({ path: PATH, previous: allDecided[119]!.answer });
    // The samples of both runs are counted once: the votes', and the task's total.
    const samples =
      allDecided.reduce((n, e) => n + (e.samples as number), 0) +
      [...seen, ...fromResume]
        .filter((e) => e.type === 'maker.vote' && e.outcome === 'exhausted')
        .reduce((n, e) => n + (e.samples as number), 0);
    expect(output.stages[0]!.answers[0]).toMatchObject({ steps: total, samples });
    // The resumed budget went on from what the first run had spent when it was suspended
    // (in-flight samples of the vote it broke off included), and counted the resumed votes on top.
    expect(recovered.usage).toEqual(first.output.usage);
    expect(first.output.usage.samples).toBeGreaterThanOrEqual(drawnInFirstRun);
    expect(output.usage.samples).toBe(
      first.output.usage.samples +
        fromResume
          .filter((e) => e.type === 'maker.vote')
          .reduce((n, e) => n + (e.samples as number), 0),
    );
    expect(events.map((e) => e.seq)).toEqual([...events.map((e) => e.seq)].sort((a, b) => a - b));
    expect(new Set(events.map((e) => e.seq)).size).toBe(events.length);
    expect(events.filter((e) => e.type === 'mission.resumed')).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ type: 'mission.finished', status: 'succeeded' });
    expect(events.filter((e) => e.type === 'stage.finished')).toHaveLength(1);

    // The crashed copy resumes the same way: from the step after the last vote in its log.
    const afterCrashSteps: number[] = [];
    const again = await runMission(config, {
      stateDir: crashedDir,
      logger: pino({ level: 'silent' }),
      missionId: 'm1',
      resume: planResume(afterCrash, config),
      keySalt: afterCrash.submitted!.keySalt,
      usedBefore: afterCrash.usage,
      onEvent: (e) =>
        e.type === 'maker.vote' &&
        e.outcome === 'decided' &&
        afterCrashSteps.push(e.step as number),
    });
    expect(again.output.result).toBe(straight.output.result);
    expect(afterCrashSteps).toEqual(range(stoppedAt + 1, total));
  });
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

describe('resumeProgress', () => {
  const initial = hanoiTask.initialState({ disks: 3 });
  const moves = [...hanoiSolution(3)].map(formatMove); // [1,0,2] [2,0,1] [1,2,1] [3,0,2] ...
  const stateAfter = (n: number) =>
    moves.slice(0, n).reduce((s, m) => hanoiTask.replay(s, m), initial);
  const vote = (step: number, extra: Partial<MakerVoteRecord> = {}): MakerVoteRecord => ({
    step,
    outcome: 'decided',
    samples: 2,
    answer: moves[step],
    ...extra,
  });

  it('should start from the beginning with nothing recovered', () => {
    expect(resumeProgress(hanoiTask, initial, undefined)).toEqual({
      step: 0,
      state: initial,
      samples: 0,
      flagged: 0,
      exhausted: 0,
    });
    expect(resumeProgress(hanoiTask, initial, { tail: [] })).toEqual({
      step: 0,
      state: initial,
      samples: 0,
      flagged: 0,
      exhausted: 0,
    });
  });

  it('should start from a snapshot alone', () => {
    const snapshot = {
      step: 3,
      state: stateAfter(3),
      previous: moves[2],
      samples: 9,
      flagged: 1,
      exhausted: 2,
    };
    expect(resumeProgress(hanoiTask, initial, { snapshot, tail: [] })).toEqual({
      step: 3,
      state: stateAfter(3),
      previous: moves[2],
      samples: 9,
      flagged: 1,
      exhausted: 2,
    });
    // A snapshot written before `exhausted` was recorded counts none.
    const { exhausted: _, ...older } = snapshot;
    expect(resumeProgress(hanoiTask, initial, { snapshot: older, tail: [] }).exhausted).toBe(0);
  });

  it('should replay the votes after the snapshot, in order', () => {
    const snapshot = { step: 2, state: stateAfter(2), previous: moves[1], samples: 6, flagged: 0 };
    const p = resumeProgress(hanoiTask, initial, {
      snapshot,
      tail: [vote(2), vote(3, { samples: 5, flagged: { too_long: 1, unparseable: 2 } })],
    });
    expect(p).toEqual({
      step: 4,
      state: stateAfter(4),
      previous: moves[3],
      samples: 13,
      flagged: 3,
      exhausted: 0,
    });
  });

  it('should replay votes from the initial state when no snapshot was taken yet', () => {
    expect(resumeProgress(hanoiTask, initial, { tail: [vote(0), vote(1), vote(2)] })).toEqual({
      step: 3,
      state: stateAfter(3),
      previous: moves[2],
      samples: 6,
      flagged: 0,
      exhausted: 0,
    });
  });

  it('should skip records the snapshot or an earlier vote already covers', () => {
    const snapshot = { step: 2, state: stateAfter(2), previous: moves[1], samples: 6, flagged: 0 };
    const p = resumeProgress(hanoiTask, initial, {
      snapshot,
      tail: [vote(0), vote(1), vote(2), vote(2), vote(3), vote(5)],
    });
    // 0 and 1 are older than the snapshot, the second 2 is a repeat, and 5 is not next after 3.
    expect(p).toEqual({
      step: 4,
      state: stateAfter(4),
      previous: moves[3],
      samples: 10,
      flagged: 0,
      exhausted: 0,
    });
  });

  it('should count an exhausted vote (its samples, no step) and then the retry that decided the step', () => {
    const p = resumeProgress(hanoiTask, initial, {
      tail: [
        vote(0),
        { step: 1, outcome: 'exhausted', samples: 30, flagged: { unparseable: 4 } },
        { step: 1, outcome: 'exhausted', samples: 30 },
        vote(1, { samples: 3 }),
      ],
    });
    expect(p).toEqual({
      step: 2,
      state: stateAfter(2),
      previous: moves[1],
      samples: 65,
      flagged: 4,
      exhausted: 2,
    });
  });

  it('should refuse a decided answer the task could not have decided', () => {
    expect(() =>
      resumeProgress(hanoiTask, initial, { tail: [vote(0, { answer: 'move left' })] }),
    ).toThrow("not a hanoi answer: 'move left'");
  });
});
