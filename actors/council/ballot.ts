/**
 * A council member's answer as a ballot: the JSON object the council's prompts ask for (answer,
 * rationale, confidence), read strictly. Anything else (no JSON, no answer, a confidence outside
 * [0, 1]) is an abstention with its reason: never guessed at, never counted as a vote. And the
 * prompts of a round: the first asks each member alone; each later one shows a member the
 * others' last answers (as "Response A", "Response B" when anonymized) and its role's duty.
 */
import { createHash } from 'node:crypto';
import type { AgreementConfig } from '../../config/council.js';
import type { PromptLibrary } from '../promptLibrary.js';
import { canonicalJson, normalizeAnswer } from './quorum.js';

export interface Ballot {
  agent: string;
  answer: string;
  rationale?: string;
  confidence?: number;
  /** What the agreement compares (normalized text, or canonical JSON of a field). */
  key: string;
  /** sha256 of the answer, first 16 hex digits: what the log keeps of every answer. */
  hash: string;
}

export interface Abstention {
  agent: string;
  abstained: string;
}

export type Cast = Ballot | Abstention;

export const isBallot = (c: Cast): c is Ballot => 'answer' in c;

/** The ballot in `text`, or why it is none. */
export function readBallot(agent: string, text: string, agreement: AgreementConfig): Cast {
  const body = /```(?:json)?\s*\n([\s\S]*?)\n```/.exec(text)?.[1] ?? text;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.trim());
  } catch {
    return { agent, abstained: 'not a JSON object' };
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    return { agent, abstained: 'not a JSON object' };
  const o = parsed as Record<string, unknown>;
  const answer =
    typeof o['answer'] === 'string' ? o['answer'].trim() : canonicalOrEmpty(o['answer']);
  if (answer === '') return { agent, abstained: 'no answer' };
  const confidence = o['confidence'];
  if (
    confidence !== undefined &&
    (typeof confidence !== 'number' || !(confidence >= 0 && confidence <= 1))
  )
    return { agent, abstained: 'confidence is not a number in [0, 1]' };
  let key: string;
  if (agreement === 'exact') key = answer;
  // A judge is asked only about answers that differ once normalized.
  else if (agreement === 'normalized' || agreement.kind === 'judge') key = normalizeAnswer(answer);
  else {
    const field = fieldAt(o, agreement.field);
    if (field === undefined) return { agent, abstained: `no field '${agreement.field}'` };
    key = canonicalJson(field);
  }
  return {
    agent,
    answer,
    ...(typeof o['rationale'] === 'string' && { rationale: o['rationale'] }),
    ...(typeof confidence === 'number' && { confidence }),
    key,
    hash: createHash('sha256').update(answer).digest('hex').slice(0, 16),
  };
}

function canonicalOrEmpty(v: unknown): string {
  return v === undefined || v === null ? '' : canonicalJson(v);
}

/** `a.b.c` of `o`; a field named with a dot first, whole. */
function fieldAt(o: Record<string, unknown>, path: string): unknown {
  if (Object.hasOwn(o, path)) return o[path];
  let at: unknown = o;
  for (const part of path.split('.')) {
    if (!at || typeof at !== 'object' || !Object.hasOwn(at, part)) return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return at;
}

/** What each role is asked to do in its round; an unknown role is asked to deliberate. */
export const ROLE_DUTIES: Readonly<Record<string, string>> = {
  scribe: 'Restate the positions taken so far fairly and say which is best supported.',
  dissenter:
    'Argue against the leading position as strongly as the facts allow; keep it only if no argument against it holds.',
  strategist: 'Weigh what each position leads to, and its risks.',
  analyst: 'Check each position against the facts and the question; find the errors.',
  arbiter: 'Judge which position the arguments best support, impartially.',
};

export interface RoundPromptInput {
  question: string;
  members: number;
  /** 1, 2, ... (the first answers are round 0). */
  round: number;
  role: string;
  /** The member's own last cast. */
  own: Cast | undefined;
  /** The other members' last casts, in member order. */
  others: readonly Cast[];
  anonymize: boolean;
}

export function proposePrompt(library: PromptLibrary, question: string, members: number): string {
  return library.render('councilPropose', { question, members: String(members) }).text;
}

export function deliberatePrompt(library: PromptLibrary, r: RoundPromptInput): string {
  const show = (c: Cast) =>
    isBallot(c)
      ? `${c.answer}${c.rationale ? `\n  rationale: ${c.rationale}` : ''}${c.confidence !== undefined ? `\n  confidence: ${c.confidence}` : ''}`
      : '(abstained)';
  const others = r.others
    .map(
      (c, i) =>
        `${r.anonymize ? `Response ${String.fromCharCode(65 + (i % 26))}${i >= 26 ? i : ''}` : c.agent}: ${show(c)}`,
    )
    .join('\n');
  return library.render('councilDeliberate', {
    question: r.question,
    members: String(r.members),
    round: String(r.round),
    role: r.role,
    duty: ROLE_DUTIES[r.role] ?? 'Deliberate on the merits.',
    own: r.own ? show(r.own) : '(none)',
    others: others || '(none)',
  }).text;
}

export function judgePrompt(
  library: PromptLibrary,
  question: string,
  first: string,
  second: string,
): string {
  return library.render('councilJudge', { question, first, second }).text;
}

/** A judge's verdict: true only for a JSON `{"same": true}`; anything else is "not the same". */
export function readVerdict(text: string): boolean {
  const body = /```(?:json)?\s*\n([\s\S]*?)\n```/.exec(text)?.[1] ?? text;
  try {
    return (JSON.parse(body.trim()) as { same?: unknown }).same === true;
  } catch {
    return false;
  }
}

export function synthesisPrompt(
  library: PromptLibrary,
  question: string,
  members: number,
  decision: { answer: string; reasons: string[] },
  dissent: { answer: string; reasons: string[] }[],
): string {
  const list = (xs: string[]) => xs.map((x) => `- ${x}`).join('\n') || '(none given)';
  return library.render('councilSynthesize', {
    question,
    members: String(members),
    decision: decision.answer,
    reasons: list(decision.reasons),
    dissent: dissent.map((d) => `${d.answer}\n${list(d.reasons)}`).join('\n\n') || '(none)',
  }).text;
}
