/**
 * The GeniusLoop's words: what each phase's prompt is given (its vars) and the line each phase
 * leaves in the plan's thought chain. Kept apart from the chart so the chart reads as structure.
 */
import type {
  Approach,
  Deconstruction,
  MasterPlan,
  StressTest,
} from '../actors/planning/masterPlan.js';
import type { PromptVars } from '../actors/promptLibrary.js';

/** What the phases have found so far. */
export interface LoopFindings {
  goal: string;
  context?: string;
  deconstruction?: Deconstruction;
  simulated: Approach[];
  stressTests: StressTest[];
  plan?: MasterPlan;
  flaws: string[];
  replan?: { finished: { id: string; output: string }[]; failed: { id: string; error: string }[] };
}

const json = (v: unknown) => JSON.stringify(v, null, 2);
const listOrNone = (list: unknown[]) => (list.length === 0 ? '(none)' : json(list));
export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

const base = (f: LoopFindings) => ({ goal: f.goal, context: f.context?.trim() || '(none)' });

export const phaseVars = {
  deconstruct: (f: LoopFindings): PromptVars => base(f),
  simulate: (f: LoopFindings, approach: string): PromptVars => ({
    ...base(f),
    deconstruction: json(f.deconstruction),
    approach,
  }),
  stressTest: (f: LoopFindings, approach: string, i: number): PromptVars => ({
    goal: f.goal,
    deconstruction: json(f.deconstruction),
    approach,
    proposal: json(f.simulated[i]),
  }),
  synthesize: (f: LoopFindings): PromptVars => ({
    ...base(f),
    deconstruction: json(f.deconstruction),
    approaches: json(f.simulated),
    stressTests: json(f.stressTests),
  }),
  premortem: (f: LoopFindings): PromptVars => ({ goal: f.goal, plan: json(f.plan) }),
  revise: (f: LoopFindings): PromptVars => ({
    ...base(f),
    plan: json(f.plan),
    flaws: f.flaws.length === 0 ? '(none)' : f.flaws.map((x) => `- ${x}`).join('\n'),
    finished: listOrNone(f.replan?.finished ?? []),
    failed: listOrNone(f.replan?.failed ?? []),
  }),
};

/** The best approach not found fatal (all fatal: the best of them); ties go to the first. */
export function bestApproach(
  tests: StressTest[],
  names: string[],
): { name: string; score: number } {
  const ranked = tests.map((t, i) => ({ name: names[i]!, score: t.score, fatal: t.fatal }));
  const pool = ranked.some((r) => !r.fatal) ? ranked.filter((r) => !r.fatal) : ranked;
  return pool.reduce((best, r) => (r.score > best.score ? r : best));
}

export const chainLine = {
  replan: (r: NonNullable<LoopFindings['replan']>) =>
    `replan: ${r.finished.length} finished, ${r.failed.length} failed`,
  deconstruct: (d: Deconstruction) => `deconstruct: ${d.problem}`,
  simulate: (approaches: Approach[]) =>
    `simulate: ${plural(approaches.length, 'approach', 'approaches')}`,
  stressTest: (tests: StressTest[], names: string[]) => {
    const best = bestApproach(tests, names);
    const fatal = names.filter((_, i) => tests[i]!.fatal);
    return `stress-test: best ${best.name} (${best.score}/10)${fatal.length > 0 ? `, fatal: ${fatal.join(', ')}` : ''}`;
  },
  synthesize: (plan: MasterPlan) => `synthesize: ${planSummary(plan)}`,
  /** `revision` 0 is a replan's revise. */
  revise: (plan: MasterPlan, revision: number) =>
    `${revision === 0 ? 'revise (replan)' : `revise ${revision}`}: ${planSummary(plan)}`,
  premortem: (flaws: string[], revisions: number, maxRevisions: number, revising: boolean) =>
    flaws.length === 0
      ? 'premortem: no fatal flaws'
      : revising
        ? `premortem: ${plural(flaws.length, 'fatal flaw')} → revise`
        : `premortem: ${plural(flaws.length, 'fatal flaw')} left after ${plural(revisions, 'revision')} (maxRevisions ${maxRevisions})`,
};

const planSummary = (plan: MasterPlan) =>
  `${plural(plan.steps.length, 'step')}, confidence ${plan.confidence}`;
