/**
 * The coding workflow's architecture selection: how many agents a stage gets, and how they are
 * arranged, after Kim et al., "Towards a science of scaling agent systems" (arXiv:2512.08296).
 * Multi-agent setups are not better by default (mean -3.5% across 180 configurations); they help
 * only where a task decomposes, the single agent is weak, and errors are caught before they
 * compound. So the rules, in the paper's order, each say when to stay with one agent:
 *
 * - debug is always one agent (sequential: every multi-agent variant lost 39–70% there);
 * - Rule A: one agent once its measured success reaches 45% (capability saturation);
 * - Rule B: one agent when the steps depend on each other (sequential dependency);
 * - Rule C: a lead and a pool (centralized), never independent agents, for a decomposable,
 *   tool-heavy task: the lead's checks hold error amplification to 4.4× against 17.2×;
 * - Rule D: independent agents only to generate candidates whose outputs are verified (tests or
 *   a vote), never to synthesize unverified outputs;
 * - otherwise one agent.
 *
 * `shouldDegrade` takes a running multi-agent stage back to one agent when what it measures says
 * the coordination does not pay. Every decision returns its inputs and a reason in words, for the
 * event log and the gate's report. Pure: the outcomes it measures come from archStats.ts.
 */
import { WORKFLOW_PHASES, type WorkflowPhase } from '../../config/workflow.js';

export const SOURCE = 'Kim et al., "Towards a science of scaling agent systems", arXiv:2512.08296';

export type Topology = 'single' | 'independent' | 'centralized' | 'decentralized' | 'hybrid';
/** A coding workflow's phase (config/workflow.ts). */
export type ArchStage = WorkflowPhase;
export type ArchRule = 'A' | 'B' | 'C' | 'D' | 'debug' | 'default';

export const TOPOLOGIES: readonly Topology[] = [
  'single',
  'independent',
  'centralized',
  'decentralized',
  'hybrid',
];
export const ARCH_STAGES = WORKFLOW_PHASES;

/** What the analyze stage's model says of the task, each in [0, 1]. */
export interface TaskFeatures {
  /** How far it splits into parts that can be worked on apart. */
  decomposability: number;
  /** How far each step needs the one before it. */
  sequentialDependency: number;
  /** How many tools, and how intricate, the work needs. */
  toolComplexity: number;
}

/** Features as a model gave them: any value, or none. */
export type FeatureInput = { readonly [K in keyof TaskFeatures]?: unknown };

/** The single-agent success measured for a task family and stage (archStats.ts `measuredFor`). */
export interface Measured {
  singleAgentSuccess?: number;
  records: number;
}

/** A feature the model left out or gave as no number counts as undecided. */
export const FEATURE_DEFAULT = 0.5;
/** Outcomes a measured single-agent success needs before Rule A trusts it. */
export const MIN_RECORDS = 5;
/** Rule A: the paper's capability-saturation threshold (β = −0.408 past a baseline of ~45%). */
export const SATURATION_THRESHOLD = 0.45;
/**
 * Rule B: a sequential dependency this high means one agent. The paper gives no number (its
 * sequential benchmark, PlanCraft, is sequential throughout); 0.6 is ours: clearly more
 * sequential than not, and above Rule C's 0.5 so that an undecided task (0.5 everywhere) is not
 * called sequential.
 */
export const SEQUENTIAL_THRESHOLD = 0.6;
/** Rule C: decomposable from here (ours: the midpoint; the paper's split is by benchmark). */
export const DECOMPOSABLE_THRESHOLD = 0.5;
/** Rule C: tool-heavy from here (ours: the midpoint). */
export const TOOL_HEAVY_THRESHOLD = 0.5;

/** Multi-agent performance lost on sequential planning (PlanCraft), in percent. */
export const SEQUENTIAL_DEGRADATION_PCT = { min: 39, max: 70, source: SOURCE } as const;

/**
 * Relative overhead (turns against the single agent's, same budget), in percent, as the paper
 * measured it. The single agent is the baseline.
 */
export const OVERHEAD: Readonly<Record<Topology, number>> = {
  single: 0,
  independent: 58,
  decentralized: 263,
  centralized: 285,
  hybrid: 515,
};

/**
 * Error amplification, (1 − S_MAS) / (1 − S_SAS), as the paper reports it. Only the two figures
 * the selection rests on are given here; the rest are left undefined rather than guessed (single
 * is the baseline the ratio is taken against).
 */
export const ERROR_AMPLIFICATION: Readonly<Record<Topology, number | undefined>> = {
  single: undefined,
  independent: 17.2,
  centralized: 4.4,
  decentralized: undefined,
  hybrid: undefined,
};

/** shouldDegrade: a relative overhead above this (percent) does not pay. */
export const OVERHEAD_LIMIT_PCT = 300;
/** shouldDegrade: an amplification above this means the pool makes more errors than one agent. */
export const AMPLIFICATION_LIMIT = 1;
/** shouldDegrade: candidates this alike (0–1) are one candidate bought several times. */
export const REDUNDANCY_LIMIT = 0.9;

export interface Classification {
  /** Each feature in [0, 1]. */
  features: TaskFeatures;
  /** The measured single-agent success, when at least MIN_RECORDS outcomes back it. */
  singleAgentSuccess?: number;
  /** Outcomes behind the measurement (0: none recorded). */
  records: number;
  /** The features the model did not give (taken as FEATURE_DEFAULT). */
  defaulted: (keyof TaskFeatures)[];
  /** What was bounded, defaulted or left unused, in words. */
  notes: string[];
  inputs: { features: FeatureInput; measured?: Measured };
}

/** The features bounded to [0, 1] (NaN or missing: 0.5), and the measurement Rule A may use. */
export function classify(features: FeatureInput, measured?: Measured): Classification {
  const notes: string[] = [];
  const defaulted: (keyof TaskFeatures)[] = [];
  const bound = (name: keyof TaskFeatures): number =>
    boundFeature(name, features[name], notes, defaulted);
  const out: Classification = {
    features: {
      decomposability: bound('decomposability'),
      sequentialDependency: bound('sequentialDependency'),
      toolComplexity: bound('toolComplexity'),
    },
    records: measured?.records ?? 0,
    defaulted,
    notes,
    inputs: measured === undefined ? { features } : { features, measured },
  };
  const sas = measured?.singleAgentSuccess;
  if (measured === undefined || sas === undefined) return out;
  if (!Number.isFinite(sas) || sas < 0 || sas > 1)
    notes.push(`measured single-agent success ${sas} is not a rate in [0, 1]: not used`);
  else if (measured.records < MIN_RECORDS)
    notes.push(
      `measured single-agent success ${sas} rests on ${measured.records} outcome(s), fewer than ${MIN_RECORDS}: not used`,
    );
  else out.singleAgentSuccess = sas;
  return out;
}

function boundFeature(
  name: keyof TaskFeatures,
  value: unknown,
  notes: string[],
  defaulted: (keyof TaskFeatures)[],
): number {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    defaulted.push(name);
    notes.push(
      `${name}: ${value === undefined ? 'missing' : `not a number (${String(value)})`}, taken as ${FEATURE_DEFAULT}`,
    );
    return FEATURE_DEFAULT;
  }
  if (value < 0 || value > 1) {
    const bounded = value < 0 ? 0 : 1;
    notes.push(`${name}: ${value} is outside [0, 1], taken as ${bounded}`);
    return bounded;
  }
  return value;
}

export interface SelectionInput {
  stage: ArchStage;
  features: FeatureInput;
  measured?: Measured;
  /** The stage's outputs are checked before one is taken (tests or a vote): Rule D. */
  verified?: boolean;
}

export interface ArchitectureSelection {
  topology: Topology;
  rule: ArchRule;
  reason: string;
  inputs: {
    stage: ArchStage;
    verified: boolean;
    features: TaskFeatures;
    singleAgentSuccess?: number;
    records: number;
    defaulted: (keyof TaskFeatures)[];
    notes: string[];
  };
}

/** The topology for a stage: the first rule that applies, in the paper's order. */
export function selectArchitecture(input: SelectionInput): ArchitectureSelection {
  const c = classify(input.features, input.measured);
  const inputs: ArchitectureSelection['inputs'] = {
    stage: input.stage,
    verified: input.verified === true,
    features: c.features,
    ...(c.singleAgentSuccess === undefined ? {} : { singleAgentSuccess: c.singleAgentSuccess }),
    records: c.records,
    defaulted: c.defaulted,
    notes: c.notes,
  };
  const [topology, rule, reason] =
    debugRule(input.stage) ??
    ruleA(c) ??
    ruleB(c.features) ??
    ruleC(c) ??
    ruleD(inputs) ??
    defaultRule(inputs);
  return { topology, rule, reason, inputs };
}

type Decision = [Topology, ArchRule, string];

function debugRule(stage: ArchStage): Decision | undefined {
  if (stage !== 'debug') return undefined;
  return [
    'single',
    'debug',
    `debugging is sequential: one agent (multi-agent variants lost ${SEQUENTIAL_DEGRADATION_PCT.min}–${SEQUENTIAL_DEGRADATION_PCT.max}% on sequential tasks)`,
  ];
}

function ruleA(c: Classification): Decision | undefined {
  const sas = c.singleAgentSuccess;
  if (sas === undefined || sas < SATURATION_THRESHOLD) return undefined;
  return [
    'single',
    'A',
    `one agent already succeeds ${pct(sas)} of the time on this task family (${c.records} outcomes), at or above the ${pct(SATURATION_THRESHOLD)} where more agents stop paying (capability saturation)`,
  ];
}

function ruleB(f: TaskFeatures): Decision | undefined {
  if (f.sequentialDependency < SEQUENTIAL_THRESHOLD) return undefined;
  return [
    'single',
    'B',
    `sequential dependency ${f.sequentialDependency} is at or above ${SEQUENTIAL_THRESHOLD}: each step needs the last, so one agent`,
  ];
}

/**
 * A feature the model did not give is 0.5, which is on Rule C's thresholds: without this guard a
 * model that said nothing would buy a lead and a pool (285% overhead). More agents need evidence.
 */
function ruleC({ features: f, defaulted }: Classification): Decision | undefined {
  if (f.decomposability < DECOMPOSABLE_THRESHOLD || f.toolComplexity < TOOL_HEAVY_THRESHOLD)
    return undefined;
  if (defaulted.includes('decomposability') || defaulted.includes('toolComplexity'))
    return undefined;
  return [
    'centralized',
    'C',
    `decomposable (${f.decomposability} ≥ ${DECOMPOSABLE_THRESHOLD}) and tool-heavy (${f.toolComplexity} ≥ ${TOOL_HEAVY_THRESHOLD}): a lead and a pool, whose lead checks the parts (error amplification ${ERROR_AMPLIFICATION.centralized}× centralized against ${ERROR_AMPLIFICATION.independent}× independent)`,
  ];
}

function ruleD(inputs: ArchitectureSelection['inputs']): Decision | undefined {
  if (inputs.stage !== 'implement' || !inputs.verified) return undefined;
  return [
    'independent',
    'D',
    'implement generates candidates that are verified (tests or a vote) before one is taken: independent agents, one candidate each',
  ];
}

function defaultRule(inputs: ArchitectureSelection['inputs']): Decision {
  const why =
    inputs.stage === 'implement'
      ? 'the candidates are not verified, and independent outputs are never synthesized unverified'
      : inputs.defaulted.includes('decomposability') || inputs.defaulted.includes('toolComplexity')
        ? `no rule calls for more than one agent (${inputs.defaulted.join(', ')} not given: no evidence for a pool)`
        : 'no rule calls for more than one agent';
  return ['single', 'default', `${why}: one agent`];
}

export interface DegradeInput {
  topology: Topology;
  /** Turns or tokens against a real single-agent baseline of the same family, in percent. */
  overheadPct?: number;
  /** Success rates, in [0, 1], of the single agent and of this topology on the same family. */
  sasSuccess?: number;
  masSuccess?: number;
  /** How alike the candidates are, in [0, 1]. */
  redundancy?: number;
  /** Redundancy from which the candidates count as one. @default REDUNDANCY_LIMIT (0.9) */
  redundancyLimit?: number;
}

export type DegradeTrigger = 'overhead' | 'amplification' | 'redundancy';

export type DegradeDecision =
  | {
      degrade: true;
      to: 'single';
      /** Every measure that called for it, in the order checked. */
      triggers: DegradeTrigger[];
      amplification?: number;
      reason: string;
      inputs: DegradeInput;
    }
  | { degrade: false; amplification?: number; reason: string; inputs: DegradeInput };

/** Whether a multi-agent stage should go back to one agent. One agent never degrades. */
export function shouldDegrade(input: DegradeInput): DegradeDecision {
  if (input.topology === 'single')
    return { degrade: false, reason: 'one agent already: nothing to degrade to', inputs: input };
  for (const field of ['sasSuccess', 'masSuccess', 'redundancy', 'redundancyLimit'] as const) {
    const v = input[field];
    if (v !== undefined && !(v >= 0 && v <= 1))
      throw new RangeError(`shouldDegrade: ${field} must be in [0, 1] (got ${v})`);
  }
  if (input.overheadPct !== undefined && !Number.isFinite(input.overheadPct))
    throw new RangeError(
      `shouldDegrade: overheadPct must be a finite number (got ${input.overheadPct})`,
    );
  const { sasSuccess: sas, masSuccess: mas } = input;
  const amplification =
    sas === undefined || mas === undefined ? undefined : errorAmplification(sas, mas);
  const found: [DegradeTrigger, string][] = [];
  if (input.overheadPct !== undefined && input.overheadPct > OVERHEAD_LIMIT_PCT)
    found.push([
      'overhead',
      `relative overhead ${input.overheadPct}% exceeds ${OVERHEAD_LIMIT_PCT}% of the single agent's`,
    ]);
  if (sas !== undefined && mas !== undefined && errorAmplification(sas, mas) > AMPLIFICATION_LIMIT)
    found.push([
      'amplification',
      `error amplification ${round(errorAmplification(sas, mas))} exceeds ${AMPLIFICATION_LIMIT}: ${input.topology} fails more often than one agent (${pct(mas)} against ${pct(sas)} success)`,
    ]);
  const limit = input.redundancyLimit ?? REDUNDANCY_LIMIT;
  if (input.redundancy !== undefined && input.redundancy >= limit)
    found.push([
      'redundancy',
      `candidates are near-identical (redundancy ${input.redundancy} ≥ ${limit}): the extra agents add nothing`,
    ]);
  const amp = amplification === undefined ? {} : { amplification };
  if (found.length === 0)
    return {
      degrade: false,
      ...amp,
      reason: `${input.topology} pays its way: ${keepWords(input, amplification)}`,
      inputs: input,
    };
  return {
    degrade: true,
    to: 'single',
    triggers: found.map(([t]) => t),
    ...amp,
    reason: `back to one agent: ${found.map(([, w]) => w).join('; ')}`,
    inputs: input,
  };
}

/**
 * (1 − S_MAS) / (1 − S_SAS). A single agent that never fails leaves no room: any failure of the
 * pool is then infinitely worse (Infinity), none is no worse (1).
 */
export function errorAmplification(sasSuccess: number, masSuccess: number): number {
  if (sasSuccess === 1) return masSuccess < 1 ? Number.POSITIVE_INFINITY : 1;
  return (1 - masSuccess) / (1 - sasSuccess);
}

function keepWords(input: DegradeInput, amplification: number | undefined): string {
  const said: string[] = [];
  if (input.overheadPct !== undefined)
    said.push(`overhead ${input.overheadPct}% ≤ ${OVERHEAD_LIMIT_PCT}%`);
  if (amplification !== undefined)
    said.push(`error amplification ${round(amplification)} ≤ ${AMPLIFICATION_LIMIT}`);
  if (input.redundancy !== undefined)
    said.push(`redundancy ${input.redundancy} < ${input.redundancyLimit ?? REDUNDANCY_LIMIT}`);
  return said.length ? said.join(', ') : 'nothing measured against it';
}

function pct(rate: number): string {
  return `${round(rate * 100)}%`;
}

function round(n: number): string {
  return Number.isFinite(n) ? String(Math.round(n * 100) / 100) : String(n);
}
