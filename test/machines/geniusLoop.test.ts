import { assign, createActor, setup } from 'xstate';
import { describe, expect, it } from 'vitest';
import type { Approach, MasterPlan, StressTest } from '../../actors/planning/masterPlan.js';
import {
  PhaseAnswerError,
  type Phase,
  type PhaseCallOptions,
  type PhaseRunner,
} from '../../actors/planning/phaseCall.js';
import type { PromptVars } from '../../actors/promptLibrary.js';
import {
  geniusLoopMachine,
  type GeniusLoopInput,
  type GeniusLoopOutput,
} from '../../machines/geniusLoop.js';
import { scriptedPlanner } from '../helpers/scriptedPlanner.js';

const APPROACHES = ['brute_force', 'elegant', 'resilient', 'cheap', 'fast'];
const decon = {
  problem: 'the release is manual',
  constraints: ['one day'],
  assumptions: ['CI works'],
  minimalSolution: 'a release script',
};
const approachOf = (a: string): Approach => ({
  approach: a,
  summary: `${a} way`,
  steps: [`do it ${a}`],
  risks: [],
});
const SCORES: Record<string, number> = {
  brute_force: 5,
  elegant: 8,
  resilient: 7,
  cheap: 9,
  fast: 3,
};
const testOf = (a: string): StressTest => ({
  approach: a,
  weaknesses: [`${a} weakness`],
  score: SCORES[a] ?? 5,
  fatal: a === 'cheap',
});
const step = (id: string, dependsOn: string[] = []) => ({
  id,
  title: id,
  prompt: `do ${id}`,
  dependsOn,
  capabilities: [],
});
const plan1: MasterPlan = {
  steps: [step('build'), step('ship', ['build'])],
  confidence: 0.7,
  thoughtChain: ['elegant spine'],
};
const plan2: MasterPlan = {
  steps: [step('build'), step('test', ['build']), step('ship', ['test'])],
  confidence: 0.9,
  thoughtChain: ['added tests'],
};

interface Call {
  phase: Phase;
  label?: string;
  vars: PromptVars;
  signal?: AbortSignal;
}

type Answer = (call: Call) => unknown;

/** A fake runPhase: records each call and answers from a queue per phase (the last entry repeats). */
function fakeRunner(answers: Partial<Record<Phase, Answer[]>>) {
  const calls: Call[] = [];
  const used: Partial<Record<Phase, number>> = {};
  const runPhase = (async (phase: Phase, vars: PromptVars, options: PhaseCallOptions = {}) => {
    const call: Call = {
      phase,
      vars,
      ...(options.label !== undefined && { label: options.label }),
      ...(options.signal && { signal: options.signal }),
    };
    calls.push(call);
    const queue = answers[phase] ?? [];
    const i = used[phase] ?? 0;
    used[phase] = i + 1;
    const answer = queue[Math.min(i, queue.length - 1)];
    if (!answer) throw new Error(`no answer for ${phase}`);
    return answer(call);
  }) as PhaseRunner;
  return { calls, runPhase };
}

const standard = (extra: Partial<Record<Phase, Answer[]>> = {}) => ({
  deconstruct: [() => decon],
  simulate: [(c: Call) => approachOf(c.label!)],
  stressTest: [(c: Call) => testOf(c.label!)],
  synthesize: [() => plan1],
  premortem: [() => ({ fatalFlaws: [], risks: [] })],
  ...extra,
});

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

function run(
  input: Omit<GeniusLoopInput, 'goal' | 'approaches' | 'maxRevisions'> & Partial<GeniusLoopInput>,
) {
  const actor = createActor(geniusLoopMachine, {
    input: { goal: 'automate the release', approaches: APPROACHES, maxRevisions: 2, ...input },
  });
  const states: string[] = [];
  const note = () => {
    const v = String(actor.getSnapshot().value);
    if (states.at(-1) !== v) states.push(v);
  };
  const ended = new Promise<{ output?: GeniusLoopOutput | null; error?: unknown }>((resolve) => {
    actor.subscribe({
      next: note,
      complete: () => resolve({ output: actor.getSnapshot().output }),
      error: (error) => {
        note();
        resolve({ error });
      },
    });
  });
  actor.start();
  return { actor, states, ended };
}

const phasesOf = (calls: Call[]) => calls.map((c) => (c.label ? `${c.phase}/${c.label}` : c.phase));

describe('GeniusLoop statechart', () => {
  it('should run every phase in order and end with the plan and its thought chain', async () => {
    const f = fakeRunner(standard());
    const { states, ended } = run({ runPhase: f.runPhase, context: 'blackboard says hi' });
    const { output } = await ended;
    expect(states).toEqual([
      'deconstructing',
      'simulating',
      'stressTesting',
      'synthesizing',
      'premortem',
      'done',
    ]);
    expect(phasesOf(f.calls)).toEqual([
      'deconstruct',
      ...APPROACHES.map((a) => `simulate/${a}`),
      ...APPROACHES.map((a) => `stressTest/${a}`),
      'synthesize',
      'premortem',
    ]);
    const chain = [
      'deconstruct: the release is manual',
      'simulate: 5 approaches',
      'stress-test: best elegant (8/10), fatal: cheap',
      'synthesize: 2 steps, confidence 0.7',
      'premortem: no fatal flaws',
    ];
    expect(output).toEqual({
      plan: { ...plan1, thoughtChain: [...chain, 'elegant spine'] },
      revisions: 0,
      flaws: [],
      thoughtChain: chain,
    });
  });

  it('should give each phase what the phases before it found', async () => {
    const f = fakeRunner(standard());
    await run({ runPhase: f.runPhase }).ended;
    const json = (v: unknown) => JSON.stringify(v, null, 2);
    const byPhase = (p: string) => f.calls.filter((c) => c.phase === p).map((c) => c.vars);
    expect(byPhase('deconstruct')).toEqual([{ goal: 'automate the release', context: '(none)' }]);
    expect(byPhase('simulate')[1]).toEqual({
      goal: 'automate the release',
      context: '(none)',
      deconstruction: json(decon),
      approach: 'elegant',
    });
    expect(byPhase('stressTest')[3]).toEqual({
      goal: 'automate the release',
      deconstruction: json(decon),
      approach: 'cheap',
      proposal: json(approachOf('cheap')),
    });
    expect(byPhase('synthesize')).toEqual([
      {
        goal: 'automate the release',
        context: '(none)',
        deconstruction: json(decon),
        approaches: json(APPROACHES.map(approachOf)),
        stressTests: json(APPROACHES.map(testOf)),
      },
    ]);
    expect(byPhase('premortem')).toEqual([{ goal: 'automate the release', plan: json(plan1) }]);
  });

  it('should simulate and stress-test all approaches at once, keeping approach order whatever order they finish in', async () => {
    const pending: Record<string, ReturnType<typeof deferred<unknown>>> = {};
    const held = (c: Call) => (pending[`${c.phase}/${c.label}`] = deferred<unknown>()).promise;
    const f = fakeRunner(standard({ simulate: [held], stressTest: [held] }));
    const { actor, ended } = run({ runPhase: f.runPhase });
    await Promise.resolve();
    expect(actor.getSnapshot().value).toBe('simulating');
    expect(phasesOf(f.calls).filter((p) => p.startsWith('simulate/'))).toHaveLength(5);
    for (const a of [...APPROACHES].reverse()) pending[`simulate/${a}`]!.resolve(approachOf(a));
    await new Promise((r) => setImmediate(r));
    expect(actor.getSnapshot().value).toBe('stressTesting');
    expect(phasesOf(f.calls).filter((p) => p.startsWith('stressTest/'))).toHaveLength(5);
    expect(
      f.calls
        .filter((c) => c.phase === 'stressTest')
        .map((c) => JSON.parse(c.vars.proposal!).approach),
    ).toEqual(APPROACHES);
    pending['stressTest/fast']!.resolve(testOf('fast'));
    pending['stressTest/elegant']!.resolve(testOf('elegant'));
    await new Promise((r) => setImmediate(r));
    expect(actor.getSnapshot().value).toBe('stressTesting');
    for (const a of ['cheap', 'brute_force', 'resilient'])
      pending[`stressTest/${a}`]!.resolve(testOf(a));
    const { output } = await ended;
    expect(output!.thoughtChain[2]).toBe('stress-test: best elegant (8/10), fatal: cheap');
    expect(f.calls.find((c) => c.phase === 'synthesize')!.vars.stressTests).toBe(
      JSON.stringify(APPROACHES.map(testOf), null, 2),
    );
  });

  it('should revise while the premortem finds fatal flaws, then premortem again', async () => {
    const f = fakeRunner(
      standard({
        premortem: [
          () => ({ fatalFlaws: ['no tests', 'no rollback'], risks: [] }),
          () => ({ fatalFlaws: [], risks: ['slow'] }),
        ],
        revise: [() => plan2],
      }),
    );
    const { states, ended } = run({ runPhase: f.runPhase });
    const { output } = await ended;
    expect(states.slice(4)).toEqual(['premortem', 'revising', 'premortem', 'done']);
    expect(phasesOf(f.calls).slice(-3)).toEqual(['premortem', 'revise', 'premortem']);
    const revise = f.calls.find((c) => c.phase === 'revise')!;
    expect(revise.label).toBeUndefined();
    expect(revise.vars).toEqual({
      goal: 'automate the release',
      context: '(none)',
      plan: JSON.stringify(plan1, null, 2),
      flaws: '- no tests\n- no rollback',
      finished: '(none)',
      failed: '(none)',
    });
    expect(f.calls.at(-1)!.vars.plan).toBe(JSON.stringify(plan2, null, 2));
    expect(output).toMatchObject({ revisions: 1, flaws: [] });
    expect(output!.plan.steps).toEqual(plan2.steps);
    expect(output!.thoughtChain.slice(3)).toEqual([
      'synthesize: 2 steps, confidence 0.7',
      'premortem: 2 fatal flaws → revise',
      'revise 1: 3 steps, confidence 0.9',
      'premortem: no fatal flaws',
    ]);
    expect(output!.plan.thoughtChain.at(-1)).toBe('added tests');
  });

  it('should stop revising at maxRevisions and hand over the plan with the flaws left', async () => {
    const f = fakeRunner(
      standard({ premortem: [() => ({ fatalFlaws: ['no rollback'] })], revise: [() => plan2] }),
    );
    const { output } = await run({ runPhase: f.runPhase, maxRevisions: 1 }).ended;
    expect(phasesOf(f.calls).slice(-3)).toEqual(['premortem', 'revise', 'premortem']);
    expect(output).toMatchObject({ revisions: 1, flaws: ['no rollback'] });
    expect(output!.thoughtChain.slice(-3)).toEqual([
      'premortem: 1 fatal flaw → revise',
      'revise 1: 3 steps, confidence 0.9',
      'premortem: 1 fatal flaw left after 1 revision (maxRevisions 1)',
    ]);

    const none = fakeRunner(standard({ premortem: [() => ({ fatalFlaws: ['a', 'b'] })] }));
    const r0 = await run({ runPhase: none.runPhase, maxRevisions: 0 }).ended;
    expect(phasesOf(none.calls).at(-1)).toBe('premortem');
    expect(r0.output).toMatchObject({
      plan: { steps: plan1.steps },
      revisions: 0,
      flaws: ['a', 'b'],
    });
    expect(r0.output!.thoughtChain.at(-1)).toBe(
      'premortem: 2 fatal flaws left after 0 revisions (maxRevisions 0)',
    );
  });

  it('should start a replan at revising with the old plan, what finished and what failed', async () => {
    const f = fakeRunner({
      revise: [() => plan2],
      premortem: [() => ({ fatalFlaws: ['ship before test'] }), () => ({ fatalFlaws: [] })],
    });
    const replan = {
      plan: plan1,
      finished: [{ id: 'build', output: 'built ok' }],
      failed: [{ id: 'ship', error: 'no credentials' }],
    };
    const { states, ended } = run({
      runPhase: f.runPhase,
      replan,
      context: 'creds are in the vault',
    });
    const { output } = await ended;
    expect(states).toEqual(['revising', 'premortem', 'revising', 'premortem', 'done']);
    expect(phasesOf(f.calls)).toEqual(['revise/replan', 'premortem', 'revise', 'premortem']);
    expect(f.calls[0]!.vars).toEqual({
      goal: 'automate the release',
      context: 'creds are in the vault',
      plan: JSON.stringify(plan1, null, 2),
      flaws: '(none)',
      finished: JSON.stringify(replan.finished, null, 2),
      failed: JSON.stringify(replan.failed, null, 2),
    });
    // A later revision still keeps what finished.
    expect(f.calls[2]!.vars).toMatchObject({
      flaws: '- ship before test',
      finished: JSON.stringify(replan.finished, null, 2),
    });
    expect(output).toMatchObject({ revisions: 1, flaws: [] });
    expect(output!.thoughtChain).toEqual([
      'replan: 1 finished, 1 failed',
      'revise (replan): 3 steps, confidence 0.9',
      'premortem: 1 fatal flaw → revise',
      'revise 1: 3 steps, confidence 0.9',
      'premortem: no fatal flaws',
    ]);
  });

  it('should fail with the phase error, aborting the calls of the phase still in flight', async () => {
    const err = new PhaseAnswerError(
      'stressTest',
      'm/plan',
      'expected one JSON object and no prose around it',
      3,
    );
    const held: Call[] = [];
    const f = fakeRunner(
      standard({
        stressTest: [
          (c) => {
            if (c.label === 'resilient') return Promise.reject(err);
            held.push(c);
            return new Promise(() => {});
          },
        ],
      }),
    );
    const { actor, states, ended } = run({ runPhase: f.runPhase });
    const { error, output } = await ended;
    expect(output).toBeUndefined();
    expect(error).toBe(err);
    // It fails in `failed` (machineFailure.ts), entered before anything throws: the phase's
    // state was left on the way, so its calls in flight were aborted (below).
    expect(actor.getSnapshot()).toMatchObject({
      status: 'error',
      value: 'failed',
      error: err,
    });
    expect(states).toEqual(['deconstructing', 'simulating', 'stressTesting', 'failed']);
    expect(held).toHaveLength(4);
    expect(held.every((c) => c.signal!.aborted)).toBe(true);
  });

  it('should fail when the first phase fails', async () => {
    const boom = new Error('provider down');
    const f = fakeRunner({ deconstruct: [() => Promise.reject(boom)] });
    const { states, ended } = run({ runPhase: f.runPhase });
    expect(await ended).toEqual({ error: boom });
    expect(states).toEqual(['deconstructing', 'failed']);
    expect(f.calls).toHaveLength(1);
  });

  it("should hand the phase's error to the parent's onError as it was thrown", async () => {
    const err = new PhaseAnswerError(
      'synthesize',
      'm/plan',
      'vote exhausted: no answer led by 2 within 6 samples',
      6,
    );
    const f = fakeRunner(standard({ synthesize: [() => Promise.reject(err)] }));
    const parent = setup({
      types: { context: {} as { error?: unknown } },
      actors: { genius: geniusLoopMachine },
    }).createMachine({
      context: {},
      initial: 'planning',
      states: {
        planning: {
          invoke: {
            src: 'genius',
            input: { goal: 'g', approaches: ['elegant'], maxRevisions: 1, runPhase: f.runPhase },
            onError: { target: 'failed', actions: assign({ error: ({ event }) => event.error }) },
          },
        },
        failed: { type: 'final' },
      },
    });
    const actor = createActor(parent).start();
    await new Promise<void>((resolve) => actor.subscribe({ complete: resolve }));
    expect(actor.getSnapshot().context.error).toBe(err);
  });

  it('should stop on maestro.shutdown, aborting the call in flight, with a null output', async () => {
    const f = fakeRunner({ deconstruct: [() => new Promise(() => {})] });
    const { actor, ended } = run({ runPhase: f.runPhase });
    actor.send({ type: 'maestro.shutdown' });
    expect(await ended).toEqual({ output: null });
    expect(actor.getSnapshot().value).toBe('stopped');
    expect(f.calls[0]!.signal!.aborted).toBe(true);
  });
});

describe('GeniusLoop over a real phase runner', () => {
  it('should render every prompt, parse every answer and record every phase, end to end', async () => {
    const planA = { steps: [step('build'), step('ship', ['build'])], confidence: 0.6 };
    const planB = {
      steps: [step('build'), step('test', ['build']), step('ship', ['test'])],
      confidence: 0.85,
      thoughtChain: ['tests before shipping'],
    };
    const s = scriptedPlanner([
      'The actual problem is that releases are manual.', // red-flagged: prose
      decon,
      approachOf('elegant'),
      `\`\`\`json\n${JSON.stringify(approachOf('cheap'))}\n\`\`\``,
      testOf('elegant'),
      testOf('cheap'),
      planA,
      { fatalFlaws: ['nothing is tested'], risks: [] },
      planB,
      { fatalFlaws: [] },
    ]);
    const actor = createActor(geniusLoopMachine, {
      input: {
        goal: 'automate the release',
        approaches: ['elegant', 'cheap'],
        maxRevisions: 2,
        runPhase: s.runner,
      },
    });
    const done = new Promise<unknown>((resolve, reject) =>
      actor.subscribe({ complete: () => resolve(actor.getSnapshot().output), error: reject }),
    );
    actor.start();
    const output = (await done) as GeniusLoopOutput;
    expect(output.plan.steps.map((x) => x.id)).toEqual(['build', 'test', 'ship']);
    expect(output.thoughtChain).toEqual([
      'deconstruct: the release is manual',
      'simulate: 2 approaches',
      'stress-test: best elegant (8/10), fatal: cheap',
      'synthesize: 2 steps, confidence 0.6',
      'premortem: 1 fatal flaw → revise',
      'revise 1: 3 steps, confidence 0.85',
      'premortem: no fatal flaws',
    ]);
    expect(output.plan.thoughtChain).toEqual([...output.thoughtChain, 'tests before shipping']);
    expect(
      s.events.map(
        (e) =>
          `${e.type} ${e.prompt as string}${e.label ? ` ${e.label as string}` : ''} ${e.samples as number}`,
      ),
    ).toEqual([
      'genius.phase deconstruct@v1 2',
      'genius.phase simulate@v1 elegant 1',
      'genius.phase simulate@v1 cheap 1',
      'genius.phase stressTest@v1 elegant 1',
      'genius.phase stressTest@v1 cheap 1',
      'genius.phase synthesize@v1 1',
      'genius.phase premortem@v1 1',
      'genius.phase revise@v1 1',
      'genius.phase premortem@v1 1',
    ]);
    expect(s.events[7]!.output).toEqual(planB);
    expect(s.requests[2]!.prompt).toContain('Approach: elegant');
    expect(s.requests.at(-2)!.prompt).toContain('- nothing is tested');
    expect(s.budget.usage().samples).toBe(10);
  });
});
