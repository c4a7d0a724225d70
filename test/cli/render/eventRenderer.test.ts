import { describe, expect, it } from 'vitest';
import type { LooseEvent } from '../../helpers/looseEvent.js';
import { progressPrinter } from '../../../cli/progress.js';
import { eventRenderer } from '../../../cli/render/eventRenderer.js';
import { outputMode } from '../../../cli/render/outputMode.js';
import { ManualClock } from '../../../kernel/clock.js';
import { captureIo, terminalIo } from '../../helpers/captureIo.js';

const T0 = Date.parse('2026-01-01T10:00:00.000Z');
let seq = 0;
const ev = (type: string, fields: Record<string, unknown> = {}, at = T0): LooseEvent =>
  ({
    seq: ++seq,
    ts: new Date(at).toISOString(),
    mission: 'm1',
    type: type as LooseEvent['type'],
    ...fields,
  }) as LooseEvent;
const PATH = 'mission/m1/stage/solve/maker/solver';
/** A MAKER stage of 100 steps (maxSteps) on a json task, as `mission.submitted` carries it. */
const submitted = () =>
  ev('mission.submitted', {
    name: 'x',
    config: {
      stages: [
        {
          name: 'solve',
          maker: { task: { kind: 'json', initialState: 0, prompt: 'p' }, maxSteps: 100 },
        },
      ],
    },
  });
const vote = (step: number, at: number, extra: Record<string, unknown> = {}) =>
  ev(
    'maker.vote',
    { path: PATH, k: 2, step, outcome: 'decided', samples: 3, margin: 2, answer: 'a', ...extra },
    at,
  );

describe('outputMode', () => {
  it.each([
    [{}, true, 'pretty'],
    [{}, false, 'json'],
    [{}, undefined, 'json'],
    [{ json: true }, true, 'json'],
    [{ pretty: true }, false, 'pretty'],
    [{ json: true, pretty: true }, false, 'pretty'],
  ] as const)('should choose from flags %j and a terminal %s: %s', (flags, tty, mode) => {
    expect(outputMode(flags, tty)).toBe(mode);
  });
});

describe("progressPrinter (run's progress)", () => {
  const run = [
    ev('mission.submitted', { name: 'hello', config: { stages: [{ name: 'draft' }] } }),
    ev('mission.started', { name: 'hello', stages: ['draft'] }),
    ev('stage.entered', { stage: 'draft', index: 0, attempt: 1, agents: ['a'] }),
    ev('agent.call', {
      agent: 'a',
      provider: 'p',
      attempt: 0,
      ok: true,
      model: 'scripted',
      usage: { totalTokens: 33 },
      latencyMs: 2,
    }),
    ev('supervisor.decision', {
      supervisor: 'mission/m1/stage/draft',
      errorContext: 'child_terminated',
      reason: 'normal',
      action: 'no_restart',
      offender: { id: 'agent/a', path: 'mission/m1/stage/draft/agent/a' },
    }),
    ev('stage.finished', { stage: 'draft', index: 0, attempt: 1, answers: 1, output: 'o' }),
    ev('mission.finished', { status: 'succeeded', result: 'o' }),
  ];

  it('should print words at a terminal, leaving out the config and routine ends', () => {
    const io = terminalIo();
    const print = progressPrinter(io);
    for (const e of run) print(e);
    expect(io.stderr).toEqual([
      'mission m1 started: stages draft',
      '▶ stage 1/1 draft: a',
      '  ✓ a via p (scripted): 33 tokens, 2 ms',
      '✓ stage draft: 1 answer',
      'mission succeeded',
    ]);
  });

  it("should say a start failure once: the mission's end after it names the reason only", () => {
    const io = terminalIo();
    const print = progressPrinter(io);
    const message = "no worker serves 'p' on nats://127.0.0.1:4222 after 10000 ms";
    print(ev('mission.start_failed', { error: 'NoWorkersError', message }));
    print(ev('mission.finished', { status: 'failed', error: { reason: 'start_failed', message } }));
    expect(io.stderr).toEqual([
      `✗ mission m1 could not start: ${message}`,
      'mission failed: start_failed',
    ]);
  });

  it("should leave a crashed child's restart out of the routine ends, and a {shutdown, Term} end in", () => {
    const io = terminalIo();
    const print = progressPrinter(io);
    const offender = {
      id: 'agent/a',
      path: 'mission/m1/stage/draft/agent/a',
      restart: 'transient',
      type: 'worker',
      restarts: 0,
    };
    print(
      ev('supervisor.decision', {
        supervisor: 'mission/m1/stage/draft',
        errorContext: 'child_terminated',
        reason: '{shutdown, "early"}',
        exit: 'shutdown',
        action: 'no_restart',
        offender,
      }),
    );
    print(
      ev('supervisor.decision', {
        supervisor: 'mission/m1/stage/draft',
        errorContext: 'child_terminated',
        reason: 'http 500',
        exit: 'error',
        action: 'restart',
        offender,
      }),
    );
    expect(io.stderr).toEqual([
      '  ↻ supervisor stage/draft restarts stage/draft/agent/a (http 500)',
    ]);
  });

  it('should print every event as a JSON line, as stored, when stderr is not a terminal', () => {
    const io = captureIo();
    const print = progressPrinter(io);
    for (const e of run) print(e);
    expect(io.stderr.map((l) => JSON.parse(l))).toEqual(run);
  });

  it('should print words with --pretty, and JSON lines with --json at a terminal', () => {
    const piped = captureIo();
    progressPrinter(piped, { pretty: true })(run[1]!);
    expect(piped.stderr).toEqual(['mission m1 started: stages draft']);
    const tty = terminalIo();
    progressPrinter(tty, { json: true })(run[1]!);
    expect(JSON.parse(tty.stderr[0]!)).toEqual(run[1]);
  });
});

describe('MAKER progress lines', () => {
  it('should print step N of M, samples per step, red flags, speed and ETA at most once a second on the clock, then once when done', () => {
    const clock = new ManualClock(T0);
    const io = terminalIo();
    const print = progressPrinter(io, {}, () => clock.now());
    print(submitted());
    // 100 steps, one every 10 ms of the run's time; the clock moves 10 ms per step too.
    for (let step = 0; step < 100; step++) {
      print(vote(step, T0 + step * 10, step === 49 ? { flagged: { too_long: 1 } } : {}));
      clock.advance(10);
    }
    print(
      ev(
        'stage.finished',
        { stage: 'solve', index: 0, attempt: 1, answers: 1, output: 'o' },
        T0 + 1000,
      ),
    );
    expect(io.stderr).toEqual([
      // t = 1000 ms after the first vote: step 100 is also the last, so this is the done line
      '  ✓ MAKER solve: step 100 of 100 (100%), 3.00 samples/step, 0.3% red-flagged, 100 steps/s',
      '✓ stage solve: 1 answer',
    ]);
  });

  it('should print a line a second for a long task, not one a step', () => {
    const clock = new ManualClock(T0);
    const lines: string[] = [];
    const render = eventRenderer({
      mode: 'pretty',
      write: (l) => lines.push(l),
      now: () => clock.now(),
    });
    render(
      ev('mission.submitted', {
        name: 'x',
        config: {
          stages: [
            { name: 'solve', maker: { task: { kind: 'hanoi', disks: 12 }, maxSteps: 3000 } },
          ],
        },
      }),
    );
    // 3000 steps at 1 ms each: three seconds, so three lines and the done line.
    for (let step = 0; step < 3000; step++) {
      render(vote(step, T0 + step, { samples: step % 10 === 0 ? 4 : 2 }));
      clock.advance(1);
    }
    expect(lines).toEqual([
      '… MAKER solve: step 1,001 of 3,000 (33%), 2.20 samples/step, 0% red-flagged, 1,000 steps/s, ETA 2.0 s',
      '… MAKER solve: step 2,001 of 3,000 (66%), 2.20 samples/step, 0% red-flagged, 1,000 steps/s, ETA 999 ms',
      '✓ MAKER solve: step 3,000 of 3,000 (100%), 2.20 samples/step, 0% red-flagged, 1,000 steps/s',
    ]);
  });

  it("should always print an exhausted vote, and throttle by the events' own time when asked (replay)", () => {
    const lines: string[] = [];
    const render = eventRenderer({
      mode: 'pretty',
      detail: 'all',
      write: (l) => lines.push(l),
      now: (e) => Date.parse(e.ts),
    });
    render(submitted());
    render(vote(0, T0));
    render(
      ev(
        'maker.vote',
        { path: PATH, k: 2, step: 1, outcome: 'exhausted', samples: 30, margin: 1 },
        T0 + 500,
      ),
    );
    render(vote(1, T0 + 1500, { samples: 5 }));
    expect(lines).toEqual([
      'mission m1 submitted: x, 1 stage',
      '✗ MAKER vote exhausted at step 1 after 30 samples (no answer led by k=2)',
      '… MAKER solve: step 2 of 100 (2%), 19.00 samples/step, 0% red-flagged, 1 exhausted, 0.67 steps/s, ETA 2 min 27 s',
    ]);
  });

  it('should write MAKER progress as maker.progress JSON lines, throttled too, when not at a terminal', () => {
    const clock = new ManualClock(T0);
    const io = captureIo();
    const print = progressPrinter(io, {}, () => clock.now());
    print(submitted());
    for (let step = 0; step < 3; step++) {
      print(vote(step, T0 + step * 1000));
      clock.advance(1000);
    }
    const lines = io.stderr.map((l) => JSON.parse(l));
    expect(lines.map((l) => l.type)).toEqual([
      'mission.submitted',
      'maker.progress',
      'maker.progress',
    ]);
    expect(lines[2]).toMatchObject({
      mission: 'm1',
      type: 'maker.progress',
      stage: 'solve',
      step: 3,
      steps: 100,
      samplesPerStep: 3,
      redFlagRate: 0,
      stepsPerSecond: 1,
      etaMs: 97000,
      done: false,
    });
  });
});
