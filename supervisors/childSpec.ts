import type { AnyActorLogic } from 'xstate';
import { UserError } from '../kernel/errors.js';
import type { BudgetLimits, BudgetNode } from './budget.js';
import type { SupervisionRuntime } from './runtime.js';

/** OTP's names. */
export type Strategy = 'one_for_one' | 'one_for_all' | 'rest_for_one' | 'simple_one_for_one';
export type RestartType = 'permanent' | 'transient' | 'temporary';
export type AutoShutdown = 'never' | 'any_significant' | 'all_significant';
/** `brutal_kill` stops at once; a number asks the child to stop and kills it after that many ms. */
export type Shutdown = 'brutal_kill' | 'infinity' | number;

export interface Backoff {
  /** Delay before the first restart. */
  minMs: number;
  /** Cap on the doubled delay. */
  maxMs: number;
  /** 0.2 adds up to 20% random jitter on top of the delay. @default 0 */
  randomFactor?: number;
  /** A child that ran this long since its last start counts from minMs again. @default maxMs */
  resetAfterMs?: number;
}

export interface SupervisorFlags {
  /** @default 'one_for_one' */
  strategy?: Strategy;
  /** Restarts allowed within `periodMs` before the supervisor gives up. @default 1 */
  intensity?: number;
  /** @default 5000 */
  periodMs?: number;
  /** @default 'never' */
  autoShutdown?: AutoShutdown;
  /**
   * Restarts allowed over the supervisor's whole life, however far apart (not OTP: its intensity
   * is per period, so a child failing less often than that is restarted forever; this is the
   * total bound, like Akka's maxNrOfRetries without a time range). One more and the supervisor
   * gives up as at its intensity, with reason `reached_max_restarts`. @default Infinity
   */
  maxRestarts?: number;
}

/** What a child's input function is given when the supervisor starts (or restarts) it. */
export interface StartContext {
  /** Stable path of the child: `<supervisor>/<childId>`; does not change on restart. */
  path: string;
  /** How many times this child was restarted before this start. */
  restarts: number;
  /** The child's budget node (its own limits, counted into every ancestor's). */
  budget: BudgetNode;
  runtime: SupervisionRuntime;
}

export interface ChildSpec {
  id: string;
  /** The logic to run and its input; a function input is called on every (re)start. */
  start: { logic: AnyActorLogic; input?: unknown | ((ctx: StartContext) => unknown) };
  /** @default 'permanent' */
  restart?: RestartType;
  /** @default 5000 for a worker, 'infinity' for a supervisor */
  shutdown?: Shutdown;
  /** @default 'worker' */
  type?: 'worker' | 'supervisor';
  /** A significant child's own exit can shut the supervisor down (see autoShutdown). @default false */
  significant?: boolean;
  backoff?: Backoff;
  /** Limits for this child's subtree. */
  budget?: BudgetLimits;
}

export interface NormalizedChildSpec extends ChildSpec {
  restart: RestartType;
  shutdown: Shutdown;
  type: 'worker' | 'supervisor';
  significant: boolean;
}

export type NormalizedFlags = Required<SupervisorFlags>;

/** A supervisor or child spec that breaks OTP's rules; the message names the field and value. */
export class SupervisorSpecError extends UserError {
  override name = 'SupervisorSpecError';
  constructor(
    readonly field: string,
    readonly value: unknown,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

export const flagDefaults: NormalizedFlags = {
  strategy: 'one_for_one',
  intensity: 1,
  periodMs: 5000,
  autoShutdown: 'never',
  maxRestarts: Infinity,
};

const strategies: readonly Strategy[] = [
  'one_for_one',
  'one_for_all',
  'rest_for_one',
  'simple_one_for_one',
];
const autoShutdowns: readonly AutoShutdown[] = ['never', 'any_significant', 'all_significant'];
const restarts: readonly RestartType[] = ['permanent', 'transient', 'temporary'];
const childTypes = ['worker', 'supervisor'] as const;

function oneOf<T>(field: string, value: T, allowed: readonly T[]): void {
  if (!allowed.includes(value)) {
    throw new SupervisorSpecError(
      field,
      value,
      `expected one of ${allowed.map((a) => `'${String(a)}'`).join(' | ')}, got '${String(value)}'`,
    );
  }
}

export function normalizeFlags(flags: SupervisorFlags = {}): NormalizedFlags {
  const f = { ...flagDefaults, ...stripUndefined(flags) };
  oneOf('strategy', f.strategy, strategies);
  oneOf('autoShutdown', f.autoShutdown, autoShutdowns);
  if (!Number.isInteger(f.intensity) || f.intensity < 0) {
    throw new SupervisorSpecError(
      'intensity',
      f.intensity,
      `must be a non-negative integer, got ${f.intensity}`,
    );
  }
  if (f.maxRestarts !== Infinity && (!Number.isInteger(f.maxRestarts) || f.maxRestarts < 0)) {
    throw new SupervisorSpecError(
      'maxRestarts',
      f.maxRestarts,
      `must be a non-negative integer, got ${f.maxRestarts}`,
    );
  }
  if (!Number.isFinite(f.periodMs) || f.periodMs <= 0) {
    throw new SupervisorSpecError(
      'periodMs',
      f.periodMs,
      `must be a positive number, got ${f.periodMs}`,
    );
  }
  return f;
}

export function normalizeChildSpec(spec: ChildSpec, field = 'child'): NormalizedChildSpec {
  const type = spec.type ?? 'worker';
  const s: NormalizedChildSpec = {
    ...spec,
    restart: spec.restart ?? 'permanent',
    type,
    shutdown: spec.shutdown ?? (type === 'supervisor' ? 'infinity' : 5000),
    significant: spec.significant ?? false,
  };
  oneOf(`${field}.restart`, s.restart, restarts);
  oneOf(`${field}.type`, s.type, childTypes);
  if (typeof s.id !== 'string' || s.id === '') {
    throw new SupervisorSpecError(`${field}.id`, s.id, 'must be a non-empty string');
  }
  const shutdown: unknown = s.shutdown;
  if (
    shutdown !== 'brutal_kill' &&
    shutdown !== 'infinity' &&
    !(typeof shutdown === 'number' && Number.isFinite(shutdown) && shutdown >= 0)
  ) {
    const got = typeof shutdown === 'string' ? `'${shutdown}'` : String(shutdown);
    throw new SupervisorSpecError(
      `${field}.shutdown`,
      shutdown,
      `must be 'brutal_kill', 'infinity' or a timeout in ms >= 0, got ${got}`,
    );
  }
  // OTP's bad_combination: a permanent child is always restarted, so it can never end the supervisor.
  if (s.significant && s.restart === 'permanent') {
    throw new SupervisorSpecError(
      `${field}.significant`,
      true,
      `bad_combination: a permanent child cannot be significant`,
    );
  }
  if (s.backoff) {
    const { minMs, maxMs, randomFactor = 0 } = s.backoff;
    if (!(minMs >= 0) || !(maxMs >= minMs)) {
      throw new SupervisorSpecError(
        `${field}.backoff`,
        s.backoff,
        `needs 0 <= minMs <= maxMs, got minMs ${minMs}, maxMs ${maxMs}`,
      );
    }
    if (!(randomFactor >= 0)) {
      throw new SupervisorSpecError(
        `${field}.backoff.randomFactor`,
        randomFactor,
        `must be >= 0, got ${randomFactor}`,
      );
    }
  }
  return s;
}

/** Children ids must be unique; simple_one_for_one takes exactly one template spec. */
export function validateChildren(
  flags: NormalizedFlags,
  specs: readonly NormalizedChildSpec[],
): void {
  const seen = new Set<string>();
  specs.forEach((s, i) => {
    if (seen.has(s.id))
      throw new SupervisorSpecError(`children[${i}].id`, s.id, `duplicate child id '${s.id}'`);
    seen.add(s.id);
  });
  if (flags.strategy === 'simple_one_for_one' && specs.length !== 1) {
    throw new SupervisorSpecError(
      'children',
      specs.length,
      `bad_start_spec: simple_one_for_one takes exactly one child spec, got ${specs.length}`,
    );
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
