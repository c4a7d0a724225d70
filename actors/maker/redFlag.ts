/**
 * The red-flagger: a sample that is too long, fails its parser or matches a forbidden pattern
 * is discarded and counted, never repaired and never voted. MAKER's finding is that such
 * outputs correlate with wrong ones, so throwing them away lowers the error rate of the vote.
 *
 * User code adds checks by name, without editing Maestro: `registerRedFlagger(name, check)` (on
 * the raw response, after the length and pattern checks) and `registerOracle(name, accept)` (on
 * the parsed answer, last); a MAKER stage names them in `redFlag: { flaggers: [name], oracle: name }`.
 */
import { oracleNames, redFlaggerNames } from '../../config/maker.js';
import { isParseFailure, type StepParse, type StepParseFailure } from '../tasks/stepTask.js';

export interface RedFlagConfig {
  /** Longest response accepted, in characters. */
  maxChars?: number;
  /** Longest response accepted, in completion tokens (as reported, or estimated as chars / 4). */
  maxTokens?: number;
  /** Regular expressions (sources); a response matching any is flagged. */
  patterns?: string[];
  /** Registered red-flaggers, run in this order after the checks above. */
  flaggers?: readonly string[];
  /** A registered oracle, asked about each parsed answer. */
  oracle?: string;
}

/**
 * `custom`: a registered red-flagger refused it (its detail starts with the flagger's name).
 * `lost`: the draw failed (a provider error or timeout that a retry may cure): no answer to judge.
 */
export type RedFlagReason = 'too_long' | 'parse' | 'pattern' | 'oracle' | 'custom' | 'lost';

export type Judged<S> =
  | { ok: true; parse: StepParse<S> }
  | { ok: false; reason: RedFlagReason; detail: string };

export type RedFlagger<S> = (text: string, state: S, completionTokens?: number) => Judged<S>;

/** What a registered red-flagger sees of a sample besides its text. */
export interface RedFlagContext<S = unknown> {
  /** The state the step starts from. */
  state: S;
  /** Completion tokens, as the provider reported or estimated them. */
  completionTokens?: number;
}

/** A registered red-flagger: why the response is discarded, or undefined to let it through. */
export type RedFlagCheck<S = unknown> = (
  text: string,
  context: RedFlagContext<S>,
) => string | undefined;

/** A registered oracle: true to let a parsed answer vote, false to discard it (reason `oracle`). */
export type Oracle<S = unknown> = (parse: StepParse<S>, state: S) => boolean;

const flaggers = new Map<string, RedFlagCheck<never>>();
const oracles = new Map<string, Oracle<never>>();

/** Adds red-flagger `name`, for MAKER stages to name in `redFlag.flaggers`. Throws for a name registered twice. */
export function registerRedFlagger<S = unknown>(name: string, check: RedFlagCheck<S>): void {
  redFlaggerNames.register(name);
  flaggers.set(name, check as RedFlagCheck<never>);
}

/** Adds oracle `name`, for MAKER stages to name in `redFlag.oracle`. Throws for a name registered twice. */
export function registerOracle<S = unknown>(name: string, accept: Oracle<S>): void {
  oracleNames.register(name);
  oracles.set(name, accept as Oracle<never>);
}

export function createRedFlagger<S>(
  config: RedFlagConfig,
  parse: (text: string, state: S) => StepParse<S> | StepParseFailure,
): RedFlagger<S> {
  const patterns = (config.patterns ?? []).map((p) => new RegExp(p));
  const custom = (config.flaggers ?? []).map(
    (name) => [name, registered(flaggers, 'red-flagger', name)] as const,
  );
  const oracle =
    config.oracle === undefined ? undefined : registered(oracles, 'oracle', config.oracle);
  return (text, state, completionTokens) => {
    if (config.maxChars !== undefined && text.length > config.maxChars) {
      return { ok: false, reason: 'too_long', detail: `${text.length} chars > ${config.maxChars}` };
    }
    if (config.maxTokens !== undefined) {
      const tokens = completionTokens ?? Math.ceil(text.length / 4);
      if (tokens > config.maxTokens)
        return { ok: false, reason: 'too_long', detail: `${tokens} tokens > ${config.maxTokens}` };
    }
    for (const p of patterns)
      if (p.test(text)) return { ok: false, reason: 'pattern', detail: `matches /${p.source}/` };
    for (const [name, check] of custom) {
      const why = (check as RedFlagCheck<S>)(text, { state, completionTokens });
      if (why !== undefined) return { ok: false, reason: 'custom', detail: `${name}: ${why}` };
    }
    const parsed = parse(text, state);
    if (isParseFailure(parsed)) return { ok: false, reason: 'parse', detail: parsed.error };
    if (oracle && !(oracle as Oracle<S>)(parsed, state))
      return { ok: false, reason: 'oracle', detail: `${config.oracle} refused '${parsed.answer}'` };
    return { ok: true, parse: parsed };
  };
}

/** A registered function; a name the config accepted but this process never registered throws. */
function registered<F>(from: ReadonlyMap<string, F>, what: string, name: string): F {
  const found = from.get(name);
  if (found === undefined) throw new Error(`${what} '${name}' is not registered here`);
  return found;
}
