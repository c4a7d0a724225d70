/**
 * The selection engine of the coding workflow: which candidate patch goes on, decided from the
 * evidence alone (types.ts), by Agentless's validated recipe (arXiv 2407.01489). Steps run in a
 * fixed order, each recorded with who went on and why the others were dropped:
 *
 *   flagged → apply → tests → most_passed → cluster → lint → typecheck → size
 *
 * The first three are gates and always run, so a red candidate is never chosen, not even when it
 * is the only one that applied. From `tests` on, a single candidate left is the choice. Still more
 * than one after `size` means different changes, equally good: `tied`, one per change, which the
 * caller settles with a judge and then a vote (`resolveTie`).
 *
 * Pure and deterministic: candidates are taken in natural id order (c2 < c10) whatever the order
 * they come in, which is also the order "first by id" means.
 */
import { normalizeDiff } from './normalizeDiff.js';
import type {
  ApplyOutcome,
  CandidateEvidence,
  CheckOutcome,
  Selection,
  SelectionStep,
  SelectionStepName,
} from './types.js';

export { normalizeDiff } from './normalizeDiff.js';

export interface SelectOptions {
  /**
   * Whether only tests can prove a candidate. When the workspace has no test command, true makes
   * the outcome `none_pass`; false lets the later steps choose among the applied candidates.
   * @default true
   */
  requireTests?: boolean;
  /**
   * How many candidates, written independently, must make the same change (by normalized diff)
   * before one of them is trusted: errors rarely agree, fixes do (MAKER's bet, applied to
   * patches). A green change no other candidate made is dropped. 1 trusts a lone green one.
   * @default 1
   */
  minAgreement?: number;
}

export type Selected = Extract<Selection, { outcome: 'selected' }>;

type Applied = CandidateEvidence & { apply: Extract<ApplyOutcome, { ok: true }> };
type Dropped = SelectionStep['dropped'][number];
interface Verdict<T> {
  kept: T[];
  dropped: Dropped[];
  note?: string;
}

const NO_TEST_COMMAND = 'no test command: nothing proves a candidate';

export function selectCandidate(
  candidates: readonly CandidateEvidence[],
  options: SelectOptions = {},
): Selection {
  const requireTests = options.requireTests ?? true;
  const steps: SelectionStep[] = [];
  const record = <T extends CandidateEvidence>(step: SelectionStepName, v: Verdict<T>): T[] => {
    const kept = v.kept.map((c) => c.id);
    const { dropped, note } = v;
    steps.push(note === undefined ? { step, kept, dropped } : { step, kept, dropped, note });
    return v.kept;
  };
  const unflagged = record('flagged', dropFlagged(byId(candidates)));
  if (unflagged.length === 0) return { outcome: 'none_pass', steps };
  const applied = record('apply', dropUnapplied(unflagged));
  if (applied.length === 0) return { outcome: 'none_pass', steps };
  let pool = record('tests', dropRed(applied, requireTests));
  if (pool.length === 0) return { outcome: 'none_pass', steps };

  const changes = new Map<string, string>();
  const change = (c: Applied): string => {
    const known = changes.get(c.id);
    if (known !== undefined) return known;
    const key = normalizeDiff(c.apply.diff);
    changes.set(c.id, key);
    return key;
  };
  const minAgreement = options.minAgreement ?? 1;
  if (minAgreement > 1) {
    pool = record('agreement', agreeing(pool, change, minAgreement));
    if (pool.length === 0) return { outcome: 'none_pass', steps };
  }
  const later: [SelectionStepName, (pool: Applied[]) => Verdict<Applied>][] = [
    ['most_passed', mostPassed],
    ['cluster', (p) => largestClusters(p, change)],
    ['lint', (p) => breakTieBy(p, 'lint')],
    ['typecheck', (p) => breakTieBy(p, 'typecheck')],
    ['size', (p) => smallest(p, change)],
  ];
  for (const [step, decide] of later) {
    if (pool.length === 1) break;
    pool = record(step, decide(pool));
  }
  if (pool.length === 1) return { outcome: 'selected', chosen: pool[0]!.id, steps };
  return { outcome: 'tied', tied: pool.map((c) => c.id), steps };
}

/**
 * Settles a `tied` selection with the judge's or the vote's `winner`, one of `tied`; `why` is
 * the judge's reason or the vote's tally, kept as the step's note.
 */
export function resolveTie(
  selection: Selection,
  winner: string,
  by: 'judge' | 'vote',
  why: string,
): Selected {
  if (selection.outcome !== 'tied') {
    throw new TypeError(`resolveTie: the selection is '${selection.outcome}', not 'tied'`);
  }
  if (!selection.tied.includes(winner)) {
    throw new TypeError(
      `resolveTie: '${winner}' is not among the tied: ${selection.tied.join(', ')}`,
    );
  }
  const dropped = selection.tied
    .filter((id) => id !== winner)
    .map((id) => ({ id, why: `the ${by} chose ${winner}` }));
  const step: SelectionStep = { step: by, kept: [winner], dropped, note: why };
  return { outcome: 'selected', chosen: winner, steps: [...selection.steps, step] };
}

/** Natural order of ids: digit runs compare as numbers (c2 < c10), the rest as code units. */
function compareIds(a: string, b: string): number {
  const x = a.match(/\d+|\D+/g) ?? [];
  const y = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    let p = x[i]!;
    let q = y[i]!;
    if (/^\d/.test(p) && /^\d/.test(q)) {
      p = p.replace(/^0+(?=\d)/, '');
      q = q.replace(/^0+(?=\d)/, '');
      if (p.length !== q.length) return p.length - q.length;
    }
    if (p !== q) return p < q ? -1 : 1;
  }
  if (x.length !== y.length) return x.length - y.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

function byId(candidates: readonly CandidateEvidence[]): CandidateEvidence[] {
  const sorted = [...candidates].sort((a, b) => compareIds(a.id, b.id));
  sorted.forEach((c, i) => {
    if (i > 0 && sorted[i - 1]!.id === c.id) {
      throw new TypeError(`selectCandidate: duplicate candidate id: '${c.id}'`);
    }
  });
  return sorted;
}

/** Keeps the candidates `why` has nothing against. */
function partition<T extends CandidateEvidence>(
  pool: T[],
  why: (c: T) => string | undefined,
): Verdict<T> {
  const kept: T[] = [];
  const dropped: Dropped[] = [];
  for (const c of pool) {
    const reason = why(c);
    if (reason === undefined) kept.push(c);
    else dropped.push({ id: c.id, why: reason });
  }
  return { kept, dropped };
}

function dropFlagged(pool: CandidateEvidence[]): Verdict<CandidateEvidence> {
  return partition(pool, (c) =>
    c.flagged === true ? 'red-flagged: its answer failed the schema' : undefined,
  );
}

function dropUnapplied(pool: CandidateEvidence[]): Verdict<Applied> {
  const kept: Applied[] = [];
  const dropped: Dropped[] = [];
  for (const c of pool) {
    const { apply } = c;
    if (apply.ok) kept.push({ ...c, apply });
    else {
      const detail = apply.detail === '' ? '' : `: ${apply.detail}`;
      dropped.push({ id: c.id, why: `did not apply: ${apply.reason}${detail}` });
    }
  }
  return { kept, dropped };
}

/** Why a test run is not green: not run, killed, a failed test (even with exit 0), an exit code. */
function redTests(test: CheckOutcome | undefined): string | undefined {
  if (test === undefined) return 'tests: not run';
  if (test.killed !== undefined) return `tests: killed (${test.killed})`;
  if (test.failed !== undefined && test.failed > 0) {
    return `tests failed: ${test.failed} failed, ${test.passed ?? 0} passed`;
  }
  return test.ok ? undefined : `tests: exit ${test.exitCode ?? 'none'}`;
}

function dropRed(pool: Applied[], requireTests: boolean): Verdict<Applied> {
  if (pool.every((c) => c.test === undefined)) {
    if (!requireTests) return { kept: pool, dropped: [], note: NO_TEST_COMMAND };
    const dropped = pool.map((c) => ({ id: c.id, why: 'tests: none ran (no test command)' }));
    return { kept: [], dropped, note: NO_TEST_COMMAND };
  }
  const verdict = partition(pool, (c) => redTests(c.test));
  return { ...verdict, note: `green: ${verdict.kept.length} of ${pool.length}` };
}

const passedOf = (c: CandidateEvidence): number => c.test?.passed ?? 0;

function mostPassed(pool: Applied[]): Verdict<Applied> {
  const most = Math.max(...pool.map(passedOf));
  const verdict = partition(pool, (c) =>
    passedOf(c) < most ? `fewer tests passed: ${passedOf(c)} < ${most}` : undefined,
  );
  return { ...verdict, note: `most passed: ${most}` };
}

function largestClusters(pool: Applied[], change: (c: Applied) => string): Verdict<Applied> {
  const sizes = new Map<string, number>();
  for (const c of pool) sizes.set(change(c), (sizes.get(change(c)) ?? 0) + 1);
  const largest = Math.max(...sizes.values());
  const verdict = partition(pool, (c) => {
    const size = sizes.get(change(c))!;
    return size < largest ? `a smaller cluster: ${size} < ${largest}` : undefined;
  });
  return { ...verdict, note: `clusters: ${sizes.size} (largest ${largest})` };
}

/** A failing check loses to a passing one; a check that did not run says nothing. */
function breakTieBy(pool: Applied[], check: 'lint' | 'typecheck'): Verdict<Applied> {
  const clean = pool.filter((c) => c[check]?.ok === true).length;
  const failing = pool.filter((c) => c[check]?.ok === false).length;
  const note = `${check}: ${clean} ok, ${failing} failed, ${pool.length - clean - failing} not run`;
  if (clean === 0) return { kept: pool, dropped: [], note };
  const verdict = partition(pool, (c) => {
    const outcome = c[check];
    if (outcome?.ok !== false) return undefined;
    if (outcome.killed !== undefined) return `${check}: killed (${outcome.killed})`;
    return `${check} failed: exit ${outcome.exitCode ?? 'none'}`;
  });
  return { ...verdict, note };
}

const linesOf = (c: Applied): number => c.apply.stats.added + c.apply.stats.removed;

/** The smallest diffs, then one per change: the first by id (the others are the same change). */
function smallest(pool: Applied[], change: (c: Applied) => string): Verdict<Applied> {
  const least = Math.min(...pool.map(linesOf));
  const first = new Map<string, string>();
  const verdict = partition(pool, (c) => {
    if (linesOf(c) > least) return `a larger diff: ${linesOf(c)} lines > ${least}`;
    const same = first.get(change(c));
    if (same !== undefined) return `the same change as ${same}, which comes first by id`;
    first.set(change(c), c.id);
    return undefined;
  });
  return { ...verdict, note: `smallest diff: ${least} lines` };
}

/** Short English lines for a gate's report: who was dropped and why, then the outcome. */
export function describeSelection(
  selection: Selection,
  candidates: readonly CandidateEvidence[],
): string[] {
  const lines: string[] = [];
  for (const step of selection.steps) {
    for (const d of step.dropped) lines.push(`${d.id} dropped: ${shorten(d.why)}`);
    if (step.step === 'tests' && step.note === NO_TEST_COMMAND) lines.push(NO_TEST_COMMAND);
  }
  lines.push(outcomeLine(selection, candidates));
  return lines;
}

function shorten(why: string, max = 120): string {
  const [first = ''] = why.split('\n');
  if (first.length > max) return `${first.slice(0, max - 1)}…`;
  return first === why ? first : `${first} …`;
}

function outcomeLine(selection: Selection, candidates: readonly CandidateEvidence[]): string {
  switch (selection.outcome) {
    case 'none_pass': {
      const last = selection.steps.at(-1);
      if (last === undefined || last.dropped.length === 0) return 'no candidate to choose from';
      if (last.step === 'flagged') return 'no candidate: every one was red-flagged';
      if (last.step === 'apply') return 'no candidate applied';
      return 'no candidate passed its tests';
    }
    case 'tied':
      return `tied: ${selection.tied.join(', ')}, different changes equally good`;
    case 'selected': {
      const chosen = candidates.find((c) => c.id === selection.chosen);
      if (chosen === undefined) {
        throw new TypeError(`describeSelection: no candidate '${selection.chosen}'`);
      }
      const merits = meritsOf(selection, chosen, candidates);
      return `${chosen.id} chosen${merits.length === 0 ? '' : `: ${merits.join(', ')}`}`;
    }
  }
}

function meritsOf(
  selection: Selected,
  chosen: CandidateEvidence,
  candidates: readonly CandidateEvidence[],
): string[] {
  const steps = new Map(selection.steps.map((s) => [s.step, s]));
  const decided = (name: SelectionStepName): boolean => (steps.get(name)?.dropped.length ?? 0) > 0;
  const merits: string[] = [];
  const { test, apply } = chosen;
  if (test === undefined) merits.push('no tests ran');
  else if (test.passed === undefined) merits.push('tests green');
  else {
    const most = decided('most_passed') ? ', the most' : '';
    merits.push(`${test.passed} test${test.passed === 1 ? '' : 's'} passed${most}`);
  }
  const cluster = steps.get('cluster');
  if (cluster !== undefined && apply.ok) {
    const change = normalizeDiff(apply.diff);
    const mates = candidates.filter(
      (c) => cluster.kept.includes(c.id) && c.apply.ok && normalizeDiff(c.apply.diff) === change,
    );
    const all = cluster.kept.length + cluster.dropped.length;
    merits.push(`largest cluster (${mates.length} of ${all})`);
  }
  if (decided('lint')) merits.push('lint clean');
  if (decided('typecheck')) merits.push('typecheck clean');
  if (steps.has('size') && apply.ok) {
    merits.push(`smallest diff (+${apply.stats.added} −${apply.stats.removed})`);
  }
  const judge = steps.get('judge');
  if (judge !== undefined) merits.push(`chosen by the judge (${shorten(judge.note ?? '', 80)})`);
  const vote = steps.get('vote');
  if (vote !== undefined) merits.push(`won the vote (${shorten(vote.note ?? '', 80)})`);
  return merits;
}

/** The green candidates whose change at least `min` of them made (by normalized diff). */
function agreeing(pool: Applied[], change: (c: Applied) => string, min: number): Verdict<Applied> {
  const count = new Map<string, number>();
  for (const c of pool) count.set(change(c), (count.get(change(c)) ?? 0) + 1);
  const kept = pool.filter((c) => count.get(change(c))! >= min);
  const dropped = pool
    .filter((c) => count.get(change(c))! < min)
    .map((c) => ({
      id: c.id,
      why: `unconfirmed: ${count.get(change(c)) === 1 ? 'no other candidate made this change' : `only ${count.get(change(c))} made this change`} (${min} must agree)`,
    }));
  return { kept, dropped, note: `at least ${min} candidates agree` };
}
