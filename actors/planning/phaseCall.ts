/**
 * One planner phase as model calls: render the phase's prompt, call the planner agent, parse the
 * answer with the phase's schema. An answer that is not one JSON object passing the schema is a
 * red flag: discarded, never repaired, and drawn again (at most `resamples` more times). With
 * `vote`, the answer is decided by MAKER's rule instead: samples are tallied by the canonical
 * JSON of their parse and the first answer `k` ahead of every other wins. Either way each phase
 * leaves one compact `genius.phase` event with its parsed output, what a resume or an inspector
 * needs (with `replayable`, the hash of its prompt too). Given the answers a resumed mission's
 * log has (`replay`), a call whose caller answered the same prompt there returns that answer: no
 * call, no second record. Call errors (a provider failing, a budget spent) are thrown as they are.
 */
import type { z } from 'zod';
import type { AgentConfig } from '../../config/mission.js';
import type { BudgetNode } from '../../supervisors/budget.js';
import type { EventSink } from '../../supervisors/runtime.js';
import type { Transport } from '../../transport/transport.js';
import type { RecordedAnswer } from '../../log/recordedAnswers.js';
import { callAgent } from '../agentCall.js';
import { promptHash } from '../agentWorker.js';
import {
  approachSchema,
  deconstructionSchema,
  masterPlanSchema,
  premortemSchema,
  reviewSchema,
  stressTestSchema,
  type Approach,
  type Deconstruction,
  type MasterPlan,
  type Premortem,
  type Review,
  type StressTest,
} from './masterPlan.js';
import { parsePhaseAnswer, PhaseAnswerError } from './phaseAnswer.js';
import { canonicalJson, resample, voteOn } from './phaseDraws.js';
import { loadPromptLibrary, type PromptLibrary, type PromptVars } from '../promptLibrary.js';

export { parsePhaseAnswer, PhaseAnswerError, type ParsedAnswer } from './phaseAnswer.js';
export { canonicalJson } from './phaseDraws.js';

export type GeniusPhase =
  | 'deconstruct'
  | 'simulate'
  | 'stressTest'
  | 'synthesize'
  | 'premortem'
  | 'revise';
export type Phase = GeniusPhase | 'review';

export interface PhaseOutputs {
  deconstruct: Deconstruction;
  simulate: Approach;
  stressTest: StressTest;
  synthesize: MasterPlan;
  premortem: Premortem;
  revise: MasterPlan;
  review: Review;
}

export const phaseSchemas: { readonly [P in Phase]: z.ZodType<PhaseOutputs[P]> } = {
  deconstruct: deconstructionSchema,
  simulate: approachSchema,
  stressTest: stressTestSchema,
  synthesize: masterPlanSchema,
  premortem: premortemSchema,
  revise: masterPlanSchema,
  review: reviewSchema,
};

export interface PhaseCallOptions {
  /** Tells apart the calls of one phase (the approach simulated); part of the caller path and the event. */
  label?: string;
  signal?: AbortSignal;
  /** The first draw's temperature (the others' stay a little apart). @default 0 */
  temperature?: number;
}

/** Runs one phase and resolves with its parsed answer: what the GeniusLoop and the monitor's reviewer call. */
export type PhaseRunner = <P extends Phase>(
  phase: P,
  vars: PromptVars,
  options?: PhaseCallOptions,
) => Promise<PhaseOutputs[P]>;

/**
 * Runs a plain-text prompt (task, summarize, finalSynthesis) and resolves with the trimmed text.
 * An empty answer is a red flag, drawn again like a phase's; text is never voted.
 */
export type TextRunner = (
  name: string,
  vars: PromptVars,
  options?: PhaseCallOptions,
) => Promise<string>;

export interface PhaseRunnerOptions {
  transport: Transport;
  agent: AgentConfig & { timeoutMs: number };
  budget: BudgetNode;
  /** A stable caller path; each call's caller is `<path>/<phase>[/<label>]`. */
  path: string;
  events: EventSink;
  /** @default the bundled prompts */
  library?: PromptLibrary;
  /** Extra draws after red-flagged answers (without `vote`). @default 2 */
  resamples?: number;
  /** Decide answers by first-to-ahead-by-k; red-flagged samples count toward maxSamples, never as votes. */
  vote?: { k: number; maxSamples: number };
  /** Pinned versions by prompt name; the newest otherwise. Checked when the runner is created. */
  promptVersions?: Readonly<Record<string, number>>;
  signal?: AbortSignal;
  /**
   * Answers from the log of a resumed mission, by caller path and count (`<caller>#<n>`, see
   * `keepPhaseAnswer`): a call that finds its caller's next unused answer to the same prompt
   * gives it back instead of asking again.
   */
  replay?: ReadonlyMap<string, RecordedAnswer>;
  /**
   * Its records are what a resumed mission replays (a plan stage's runners): each also says the
   * prompt's hash, and a text's record the text (a crash before its caller records it would ask
   * it again). @default false: a phase's parsed output and a text's size only
   */
  replayable?: boolean;
}

/**
 * What a vote compares: what the phase decides, not its wording (free text never matches word for
 * word across samples). A review votes on its decision, a premortem on whether a flaw is fatal, a
 * stress test on its verdict and score, a plan on its structure (steps, dependencies,
 * capabilities); deconstruct and simulate, which are all words, on the whole answer.
 */
export function phaseVoteKey(phase: Phase, value: unknown): string {
  const v = value as Record<string, unknown>;
  switch (phase) {
    case 'review':
      return String(v.decision);
    case 'premortem':
      return (v.fatalFlaws as unknown[]).length > 0 ? 'fatal' : 'clear';
    case 'stressTest':
      return `${String(v.fatal)}:${String(v.score)}`;
    case 'synthesize':
    case 'revise':
      return canonicalJson(
        (v.steps as { id: string; dependsOn: string[]; capabilities: string[] }[]).map((s) => ({
          id: s.id,
          dependsOn: [...s.dependsOn].sort(),
          capabilities: [...s.capabilities].sort(),
        })),
      );
    default:
      return canonicalJson(value);
  }
}

/** Temperatures as in MAKER: the first draw greedy, the rest a little apart so they can differ. */
const temperatureOf = (index: number) => (index === 0 ? 0 : 0.1);

/**
 * Runs any prompt of the library whose answer must pass `schema` (the coding workflow's phases),
 * exactly as a plan phase runs: red-flag and draw again, or vote, one `genius.phase` event.
 */
export type SchemaRunner = <T>(
  name: string,
  schema: z.ZodType<T>,
  vars: PromptVars,
  options?: PhaseCallOptions & { voteKey?: (value: T) => string },
) => Promise<T>;

/** A `PhaseRunner` that also has `runText` and `runSchema`. */
export function createPhaseRunner(
  o: PhaseRunnerOptions,
): PhaseRunner & { runText: TextRunner; runSchema: SchemaRunner } {
  const library = o.library ?? loadPromptLibrary();
  const resamples = o.resamples ?? 2;
  // A pinned version that does not exist is the config's mistake: say so now, not mid-plan.
  for (const [name, version] of Object.entries(o.promptVersions ?? {}))
    library.resolve(name, version);
  // Each logged answer is given back once, to the first call of its caller with its prompt.
  const replayed = new Set<string>();
  const recorded = (caller: string, hash: string): string | undefined => {
    for (let n = 0; o.replay?.has(`${caller}#${n}`); n++) {
      const key = `${caller}#${n}`;
      if (replayed.has(key) || o.replay.get(key)!.promptHash !== hash) continue;
      replayed.add(key);
      return o.replay.get(key)!.text;
    }
    return undefined;
  };

  const prepare = (name: string, vars: PromptVars, options: PhaseCallOptions) => {
    const prompt = library.render(name, vars, o.promptVersions?.[name]);
    const caller = `${o.path}/${name}${options.label === undefined ? '' : `/${options.label}`}`;
    const signals = [o.signal, options.signal].filter((s): s is AbortSignal => s !== undefined);
    const draw = async (index: number, signal?: AbortSignal) => {
      const s = [...signals, ...(signal ? [signal] : [])];
      const r = await callAgent({
        transport: o.transport,
        agent: o.agent,
        budget: o.budget,
        caller,
        prompt: prompt.text,
        temperature:
          options.temperature === undefined
            ? temperatureOf(index)
            : options.temperature + temperatureOf(index),
        ...(s.length > 0 && { signal: s.length === 1 ? s[0] : AbortSignal.any(s) }),
      });
      return r.text;
    };
    const base = {
      path: o.path,
      phase: name,
      ...(options.label !== undefined && { label: options.label }),
      prompt: prompt.id,
    };
    const hash = promptHash(prompt.text);
    return { draw, base, hash, replay: () => recorded(caller, hash) };
  };

  /** Any prompt of the library whose answer is one JSON object passing `schema`. */
  const runSchema = async <T>(
    name: string,
    schema: z.ZodType<T>,
    vars: PromptVars,
    options: PhaseCallOptions & { voteKey?: (value: T) => string } = {},
  ): Promise<T> => {
    const { draw, base, hash, replay } = prepare(name, vars, options);
    const judge = (text: string) => parsePhaseAnswer(text, schema);
    const logged = replay();
    const again = logged === undefined ? undefined : judge(logged);
    if (again?.ok) return again.value;
    try {
      const r = o.vote
        ? await voteOn(name, o.path, draw, judge, o.vote, options.voteKey)
        : await resample(name, o.path, draw, judge, resamples);
      o.events.append({
        type: 'genius.phase',
        ...base,
        samples: r.samples,
        flagged: r.flagged,
        ...(r.vote && { vote: r.vote }),
        output: r.value,
        ...(o.replayable && { promptHash: hash }),
      });
      return r.value;
    } catch (err) {
      if (err instanceof PhaseAnswerError)
        o.events.append({
          type: 'genius.phase.failed',
          ...base,
          samples: err.samples,
          reason: err.reason,
        });
      throw err;
    }
  };

  const runPhase = <P extends Phase>(
    phase: P,
    vars: PromptVars,
    options: PhaseCallOptions = {},
  ): Promise<PhaseOutputs[P]> =>
    runSchema(phase, phaseSchemas[phase], vars, {
      ...options,
      voteKey: (v) => phaseVoteKey(phase, v),
    });

  const runText = async (
    name: string,
    vars: PromptVars,
    options: PhaseCallOptions = {},
  ): Promise<string> => {
    const { draw, base, hash, replay } = prepare(name, vars, options);
    const judge = (text: string) =>
      text.trim() === ''
        ? { ok: false as const, reason: 'empty answer' }
        : { ok: true as const, value: text.trim() };
    const logged = replay();
    if (logged !== undefined && logged.trim() !== '') return logged.trim();
    try {
      const r = await resample(name, o.path, draw, judge, resamples);
      // The text itself is the caller's to record (a task's output, the stage's result): only its
      // size here, unless a resume replays it (a crash before the caller's record would ask again).
      o.events.append({
        type: 'genius.text',
        ...base,
        samples: r.samples,
        flagged: r.flagged,
        chars: r.value.length,
        ...(o.replayable && { text: r.value, promptHash: hash }),
      });
      return r.value;
    } catch (err) {
      if (err instanceof PhaseAnswerError)
        o.events.append({
          type: 'genius.phase.failed',
          ...base,
          samples: err.samples,
          reason: err.reason,
        });
      throw err;
    }
  };

  return Object.assign(runPhase, { runText, runSchema });
}
