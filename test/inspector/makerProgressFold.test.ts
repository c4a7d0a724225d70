import { describe, expect, it } from 'vitest';
import type { LooseEvent } from '../helpers/looseEvent.js';
import { MakerProgressFold } from '../../inspector/makerProgressFold.js';

const T0 = Date.parse('2026-01-01T10:00:00.000Z');
let seq = 0;
const PATH = 'mission/m1/stage/solve@2/maker/solver';
const ev = (type: string, fields: Record<string, unknown>, at = T0): LooseEvent =>
  ({
    seq: ++seq,
    ts: new Date(at).toISOString(),
    mission: 'm1',
    type: type as LooseEvent['type'],
    ...fields,
  }) as LooseEvent;
const vote = (step: number, at: number, extra: Record<string, unknown> = {}) =>
  ev(
    'maker.vote',
    { path: PATH, k: 3, step, outcome: 'decided', samples: 4, margin: 3, answer: 'a', ...extra },
    at,
  );
const hanoi = (disks: number, maxSteps?: number) => [
  {
    name: 'solve',
    maker: { task: { kind: 'hanoi' as const, disks }, ...(maxSteps !== undefined && { maxSteps }) },
  },
];

describe('MakerProgressFold', () => {
  it("should count steps of the task's length, samples, red flags, and time the rate and ETA by the events' own time", () => {
    const fold = new MakerProgressFold(hanoi(4)); // 15 steps
    expect(fold.apply(vote(0, T0))).toMatchObject({
      stage: 'solve',
      path: PATH,
      step: 1,
      steps: 15,
      samples: 4,
      samplesPerStep: 4,
      done: false,
    });
    expect(fold.views()[0]!.stepsPerSecond).toBeUndefined(); // one step: no time has passed
    fold.apply(vote(1, T0 + 500, { samples: 6, flagged: { too_long: 1, parse: 1 } }));
    const v = fold.apply(vote(2, T0 + 1000))!;
    expect(v).toEqual({
      stage: 'solve',
      path: PATH,
      step: 3,
      steps: 15,
      k: 3,
      samples: 14,
      flagged: 2,
      exhausted: 0,
      samplesPerStep: 14 / 3,
      redFlagRate: 2 / 14,
      stepsPerSecond: 2,
      etaMs: 6000,
      done: false,
    });
  });

  it('should count an exhausted vote without a step, skip a doubled record, and be done at the last step or the stage end', () => {
    const fold = new MakerProgressFold(hanoi(10, 2)); // maxSteps 2 is below 1,023
    fold.apply(vote(0, T0));
    expect(
      fold.apply(
        ev('maker.vote', {
          path: PATH,
          k: 3,
          step: 1,
          outcome: 'exhausted',
          samples: 30,
          margin: 1,
        }),
      ),
    ).toMatchObject({ step: 1, exhausted: 1, samples: 34 });
    expect(fold.apply(vote(0, T0 + 10))).toBeUndefined();
    expect(fold.apply(vote(1, T0 + 100))).toMatchObject({
      step: 2,
      steps: 2,
      done: true,
      etaMs: 0,
    });
    const other = new MakerProgressFold();
    other.apply(
      ev('stage.entered', {
        stage: 'solve',
        index: 0,
        agents: ['solver'],
        maker: { kind: 'json', initialState: 0, prompt: 'p' },
      }),
    );
    other.apply(vote(0, T0));
    expect(other.views()[0]).not.toHaveProperty('steps'); // a json task knows no length
    expect(
      other.apply(ev('stage.finished', { stage: 'solve', index: 0, answers: 1 })),
    ).toMatchObject({ step: 1, done: true });
  });

  it('should learn the stages from mission.submitted, and go on from a snapshot', () => {
    const fold = new MakerProgressFold();
    fold.apply(ev('mission.submitted', { name: 'h', config: { stages: hanoi(20) } }));
    fold.apply(
      ev('maker.snapshot', {
        path: PATH,
        step: 500_000,
        samples: 1_600_000,
        flagged: 1600,
        exhausted: 2,
      }),
    );
    expect(fold.apply(vote(500_000, T0))).toMatchObject({
      step: 500_001,
      steps: 1_048_575,
      samples: 1_600_004,
      flagged: 1600,
      exhausted: 2,
    });
  });

  it('should restore a task from a recovered log: the snapshot, then each vote after it at the step it was at', () => {
    const fold = new MakerProgressFold(hanoi(4));
    fold.restore(PATH, {
      snapshot: { step: 5, state: {}, samples: 20, flagged: 1, exhausted: 0 },
      tail: [
        { step: 4, outcome: 'decided', samples: 9 }, // before the snapshot: covered
        { step: 5, outcome: 'exhausted', samples: 30, flagged: { parse: 2 } },
        { step: 5, outcome: 'decided', samples: 3 },
        { step: 6, outcome: 'decided', samples: 3 },
      ],
    });
    expect(fold.views()).toEqual([
      {
        stage: 'solve',
        path: PATH,
        step: 7,
        steps: 15,
        samples: 56,
        flagged: 3,
        exhausted: 1,
        samplesPerStep: 8,
        redFlagRate: 3 / 56,
        done: false,
      },
    ]);
  });
});
