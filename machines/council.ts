/**
 * The council statechart: propose (every member answers alone, in parallel) → deliberate rounds
 * (each member sees the others' last answers and its role for the round, and keeps or revises
 * its answer) → after each round the positions and the quorum are counted → decided when the
 * largest position meets it, else the next round, up to `rounds`, then `onNoQuorum`.
 *
 * Members are supervised agent workers: each ballot is a temporary child of one supervisor
 * (`<path>/members`, child `round<r>.<agent>`), itself a small supervisor that restarts its agent
 * by the stage's supervision; one that gives up takes its member out of the council, and the
 * quorum is then counted over those who vote, never below `minMembers`. An answer that is no
 * ballot is an abstention. Every round is one `council.round` event; a resumed council asks
 * again only what its log does not hold (the members' answers replay by their paths).
 */
import { and, assign, enqueueActions, sendTo, setup } from 'xstate';
import type { CouncilConfig } from '../config/council.js';
import { errorMessage, SystemError } from '../kernel/errors.js';
import {
  type Cast,
  deliberatePrompt,
  isBallot,
  judgePrompt,
  proposePrompt,
  readBallot,
  readVerdict,
  synthesisPrompt,
} from '../actors/council/ballot.js';
import {
  councilResult,
  type CouncilResult,
  roundEvent,
  type RoundTally,
  tallyRound,
} from '../actors/council/councilTally.js';
import { rolesOf } from '../actors/council/quorum.js';
import type { PromptLibrary } from '../actors/promptLibrary.js';
import {
  type BudgetNode,
  type ChildExitedEvent,
  type ChildSpec,
  type SupervisionRuntime,
  supervisorMachine,
  type SupervisorInput,
} from '../supervisors/index.js';
import { log } from './logAction.js';
import { failingState, failWith } from './machineFailure.js';

/** No position met the quorum, and the council was told to fail then (`onNoQuorum: fail`). */
export class CouncilNoQuorumError extends SystemError {
  override name = 'CouncilNoQuorumError';
  /** Never restarted: a new council over the same answers splits the same way. */
  readonly reason = 'non_retryable';
  constructor(readonly result: CouncilResult) {
    super(
      `the council reached no quorum (${result.quorum.agree}/${result.quorum.of} of ${result.quorum.voters} voters needs ${result.quorum.needed}): ${result.positions.map((p) => `${p.size} for '${p.answer.slice(0, 80)}'`).join(', ') || 'no ballot'}`,
    );
  }
}

/** The council could not go on: its members' supervisor gave up, or a start was refused. */
export class CouncilStoppedError extends SystemError {
  override name = 'CouncilStoppedError';
  constructor(readonly why: string) {
    super(`the council stopped: ${why}`);
  }
}

export interface CouncilInput {
  /** The council worker's path: its supervisor is `<path>/members`, its events carry it. */
  path: string;
  question: string;
  config: CouncilConfig;
  runtime: SupervisionRuntime;
  budget: BudgetNode;
  library: PromptLibrary;
  /** The child asking member `agent` `prompt` (a small supervisor around its agent worker). */
  memberSpec: (agent: string, childId: string, prompt: string) => ChildSpec;
  /** Whether the answer to this call is in the log already (a resumed mission replays it). */
  replayed: (childId: string, prompt: string) => boolean;
}

interface CouncilContext extends CouncilInput {
  round: number;
  /** Members still on the council, in config order. */
  active: string[];
  gone: { agent: string; reason: string }[];
  /** This round's casts, by member; absent while it is asked. */
  casts: Record<string, Cast>;
  asked: string[];
  /** Every call of this round replays the log: its event is in the log already. */
  replaying: boolean;
  rounds: RoundTally[];
  calls: number;
  costUsd: number;
  stopped?: string;
  /** A judge's verdicts, by pair of normalized answers (`pairKey`): each pair asked once. */
  verdicts: Record<string, boolean>;
  /** The judge's calls of this round: child id → the pair it judges. */
  judging: Record<string, string>;
  synthesis?: string;
  synthesisError?: string;
}

/** The stage's answer: the result as JSON text (what the gate and the next stage read), and itself. */
export interface CouncilOutput {
  agent: 'council';
  text: string;
  result: CouncilResult;
}

export const roundChildId = (round: number, agent: string) => `round${round}.${agent}`;
const SYNTHESIS_CHILD_ID = 'synthesis';
const pairKey = (a: string, b: string) => JSON.stringify(a < b ? [a, b] : [b, a]);

/** The round's ballots' distinct keys, in order of first appearance, with an answer for each. */
function distinctKeys(c: CouncilContext): [string, string][] {
  const seen = new Map<string, string>();
  for (const a of c.asked) {
    const cast = c.casts[a];
    if (cast && isBallot(cast) && !seen.has(cast.key)) seen.set(cast.key, cast.answer);
  }
  return [...seen];
}

/** The casts with each key replaced by its position's first key, as the judge grouped them. */
function judged(c: CouncilContext, casts: Cast[]): Cast[] {
  if (typeof c.config.agreement !== 'object' || c.config.agreement.kind !== 'judge') return casts;
  const reps: string[] = [];
  const repOf = new Map<string, string>();
  for (const [key] of distinctKeys(c)) {
    const rep = reps.find((r) => c.verdicts[pairKey(r, key)] === true) ?? key;
    if (rep === key) reps.push(key);
    repOf.set(key, rep);
  }
  return casts.map((x) => (isBallot(x) ? { ...x, key: repOf.get(x.key) ?? x.key } : x));
}

function promptOf(c: CouncilContext, agent: string, i: number, roles: string[]): string {
  if (c.round === 0) return proposePrompt(c.library, c.question, c.active.length);
  const last = c.rounds.at(-1)!;
  const byAgent = new Map(last.casts.map((x) => [x.agent, x]));
  return deliberatePrompt(c.library, {
    question: c.question,
    members: c.active.length,
    round: c.round,
    role: roles[i]!,
    own: byAgent.get(agent),
    others: c.active
      .filter((a) => a !== agent)
      .flatMap((a) => (byAgent.has(a) ? [byAgent.get(a)!] : [])),
    anonymize: c.config.anonymize,
  });
}

function rolesNow(c: CouncilContext): Record<string, string> {
  if (c.round === 0) return Object.fromEntries(c.active.map((a) => [a, 'member']));
  const roles = rolesOf(c.round, c.config.roles, c.active.length);
  return Object.fromEntries(c.active.map((a, i) => [a, roles[i]!]));
}

export const councilMachine = setup({
  types: {
    input: {} as CouncilInput,
    context: {} as CouncilContext,
    events: {} as ChildExitedEvent,
    output: {} as CouncilOutput,
  },
  actors: { supervisor: supervisorMachine, failWith },
  guards: {
    failed: ({ context }) =>
      context.stopped !== undefined ||
      context.rounds.length === 0 ||
      (context.rounds.at(-1)!.outcome.outcome !== 'quorum' && context.config.onNoQuorum === 'fail'),
    answered: ({ context }) => context.asked.every((a) => Object.hasOwn(context.casts, a)),
    judge: ({ context }) =>
      typeof context.config.agreement === 'object' && context.config.agreement.kind === 'judge',
    judged: ({ context }) => Object.keys(context.judging).length === 0,
    synthesize: ({ context }) =>
      context.config.synthesizer !== undefined &&
      context.stopped === undefined &&
      context.rounds.length > 0 &&
      resultOf(context).decision !== undefined,
    decided: ({ context }) => context.rounds.at(-1)?.outcome.outcome === 'quorum',
    again: ({ context }) =>
      context.round < context.config.rounds && context.active.length >= context.config.minMembers,
  },
  actions: {
    ask: enqueueActions(({ context, enqueue }) => {
      const roles = Object.values(rolesNow(context));
      const specs = context.active.map((agent, i) => {
        const id = roundChildId(context.round, agent);
        const prompt = promptOf(context, agent, i, roles);
        return {
          id,
          prompt,
          spec: { ...context.memberSpec(agent, id, prompt), id, restart: 'temporary' as const },
        };
      });
      enqueue.assign({
        casts: {},
        asked: [...context.active],
        replaying: specs.every((s) => context.replayed(s.id, s.prompt)),
      });
      for (const s of specs)
        enqueue.sendTo('supervisor', { type: 'supervisor.startChild', spec: s.spec });
    }),
    record: assign(({ context, event }) => {
      const agent = context.asked.find((a) => roundChildId(context.round, a) === event.childId);
      if (agent === undefined || Object.hasOwn(context.casts, agent)) return {};
      if (event.exit !== 'normal') {
        const reason = event.lastCrash ?? event.error ?? event.exit;
        return {
          casts: { ...context.casts, [agent]: { agent, abstained: `left the council: ${reason}` } },
          active: context.active.filter((a) => a !== agent),
          gone: [...context.gone, { agent, reason }],
        };
      }
      const out = answerOf(event.output);
      return {
        casts: { ...context.casts, [agent]: readBallot(agent, out.text, context.config.agreement) },
        calls: context.calls + 1,
        costUsd: context.costUsd + out.costUsd,
      };
    }),
    askJudge: enqueueActions(({ context, enqueue }) => {
      const agreement = context.config.agreement as { kind: 'judge'; agent: string };
      const keys = distinctKeys(context);
      const judging: Record<string, string> = {};
      let n = 0;
      for (let i = 0; i < keys.length; i++)
        for (let j = i + 1; j < keys.length; j++) {
          const pair = pairKey(keys[i]![0], keys[j]![0]);
          if (Object.hasOwn(context.verdicts, pair)) continue;
          const id = `judge${context.round}.${++n}`;
          judging[id] = pair;
          const prompt = judgePrompt(context.library, context.question, keys[i]![1], keys[j]![1]);
          const spec = {
            ...context.memberSpec(agreement.agent, id, prompt),
            id,
            restart: 'temporary' as const,
          };
          enqueue.sendTo('supervisor', { type: 'supervisor.startChild', spec });
        }
      enqueue.assign({ judging });
    }),
    recordVerdict: assign(({ context, event }) => {
      const pair = context.judging[event.childId];
      if (pair === undefined) return {};
      const { [event.childId]: _, ...judging } = context.judging;
      const out = event.exit === 'normal' ? answerOf(event.output) : undefined;
      return {
        judging,
        // A judge that gave no verdict (or gave up) has not found them the same.
        verdicts: { ...context.verdicts, [pair]: out !== undefined && readVerdict(out.text) },
        calls: context.calls + (out ? 1 : 0),
        costUsd: context.costUsd + (out?.costUsd ?? 0),
      };
    }),
    tally: enqueueActions(({ context, enqueue }) => {
      const roles = rolesNow(context);
      const casts = judged(
        context,
        context.asked.map((a) => context.casts[a]!),
      );
      const t = tallyRound(context.round, casts, roles, context.config);
      enqueue.assign({ rounds: [...context.rounds, t] });
      if (!context.replaying)
        enqueue(log(context.runtime.events, [roundEvent(context.path, t, context.gone)]));
    }),
    next: assign({ round: ({ context }) => context.round + 1 }),
    askSynthesis: sendTo('supervisor', ({ context }) => {
      const r = resultOf(context);
      const reasons = (p: CouncilResult['positions'][number]) =>
        p.members.flatMap((m) => (m.rationale ? [m.rationale] : []));
      const prompt = synthesisPrompt(
        context.library,
        context.question,
        context.active.length,
        { answer: r.decision!, reasons: reasons(r.positions[0]!) },
        r.dissent.map((d) => ({ answer: d.answer, reasons: reasons(d) })),
      );
      const spec = context.memberSpec(context.config.synthesizer!, SYNTHESIS_CHILD_ID, prompt);
      return {
        type: 'supervisor.startChild' as const,
        spec: { ...spec, id: SYNTHESIS_CHILD_ID, restart: 'temporary' as const },
      };
    }),
    recordSynthesis: assign(({ context, event }) => {
      if (event.childId !== SYNTHESIS_CHILD_ID) return {};
      if (event.exit !== 'normal')
        return { synthesisError: event.lastCrash ?? event.error ?? event.exit };
      const out = answerOf(event.output);
      return {
        synthesis: out.text,
        calls: context.calls + 1,
        costUsd: context.costUsd + out.costUsd,
      };
    }),
    shutdownSupervisor: sendTo('supervisor', { type: 'maestro.shutdown' }),
  },
}).createMachine({
  id: 'council',
  context: ({ input }) => ({
    ...input,
    round: 0,
    active: [...input.config.members],
    gone: [],
    casts: {},
    asked: [],
    replaying: false,
    rounds: [],
    calls: 0,
    costUsd: 0,
    verdicts: {},
    judging: {},
  }),
  invoke: {
    id: 'supervisor',
    src: 'supervisor',
    input: ({ context }): SupervisorInput => ({
      name: `${context.path}/members`,
      runtime: context.runtime,
      budget: context.budget,
      // Ballots are temporary (their own supervisors restart their agents): never restarted here.
      flags: { strategy: 'one_for_one', intensity: 1_000_000 },
      children: [],
      notifyParent: true,
    }),
    onDone: '.done',
    onError: {
      target: '.done',
      actions: assign({ stopped: ({ event }) => errorMessage(event.error) }),
    },
  },
  initial: 'asking',
  states: {
    asking: {
      entry: 'ask',
      on: { 'supervisor.child.exited': { actions: 'record' } },
      always: [
        { guard: and(['answered', 'judge']), target: 'judging' },
        { guard: 'answered', target: 'counted' },
      ],
    },
    judging: {
      entry: 'askJudge',
      on: { 'supervisor.child.exited': { actions: 'recordVerdict' } },
      always: { guard: 'judged', target: 'counted' },
    },
    counted: {
      entry: 'tally',
      always: [
        { guard: 'decided', target: 'concluding' },
        { guard: 'again', target: 'asking', actions: 'next' },
        { target: 'concluding' },
      ],
    },
    concluding: { always: [{ guard: 'synthesize', target: 'synthesizing' }, { target: 'ending' }] },
    // The decision in the council's voice: its synthesizer, supervised as a member is.
    synthesizing: {
      entry: 'askSynthesis',
      on: { 'supervisor.child.exited': { target: 'ending', actions: 'recordSynthesis' } },
    },
    // Its supervisor shut down (nothing runs on), then done (the invoke's onDone).
    ending: { entry: 'shutdownSupervisor' },
    done: { always: [{ guard: 'failed', target: 'failed' }, { target: 'finished' }] },
    finished: { type: 'final' },
    failed: failingState<CouncilContext>((c) =>
      c.stopped !== undefined || c.rounds.length === 0
        ? new CouncilStoppedError(c.stopped ?? 'no round was held')
        : new CouncilNoQuorumError(resultOf(c)),
    ),
  },
  output: ({ context }) => {
    const result = resultOf(context);
    return { agent: 'council', text: JSON.stringify(result, null, 2), result };
  },
});

function resultOf(c: CouncilContext): CouncilResult {
  return {
    ...councilResult(c.rounds, c.config, c.gone, { calls: c.calls, costUsd: c.costUsd }),
    ...(c.synthesis !== undefined && { synthesis: c.synthesis }),
    ...(c.synthesisError !== undefined && { synthesisError: c.synthesisError }),
  };
}

/** The text and cost of a ballot supervisor's answer (its one agent's output). */
function answerOf(childOutput: unknown): { text: string; costUsd: number } {
  const results =
    (
      childOutput as
        | { results?: Record<string, { text?: unknown; costUsd?: unknown } | null> }
        | undefined
    )?.results ?? {};
  const r = Object.values(results).find((x) => typeof x?.text === 'string');
  return {
    text: typeof r?.text === 'string' ? r.text : '',
    costUsd: typeof r?.costUsd === 'number' ? r.costUsd : 0,
  };
}
