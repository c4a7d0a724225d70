/**
 * A council stage's cross-field rules: it is a council only (its question is `council.question`
 * or the stage's `prompt`; no agents, maker, plan or workflow), every agent it names exists and
 * sits once, it has at least its minimum membership, and its roles hold the dissenter (there is
 * always exactly one, arguing against the leading position).
 */
import { DISSENTER } from './council.js';
import type { PathIssue } from './interpolate.js';

type Fields = Readonly<Record<string, unknown>>;
type Path = (string | number)[];

const fieldsOf = (v: unknown): Fields | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Fields) : undefined;

export function councilStageRules(
  stage: Fields,
  at: (...rest: Path) => Path,
  unknownAgent: (id: unknown, path: Path) => PathIssue[],
): PathIssue[] {
  const issues: PathIssue[] = [];
  const other = ['agents', 'maker', 'plan', 'workflow'].filter((k) => stage[k] !== undefined);
  if (other.length > 0)
    issues.push({
      path: at('council'),
      message: `a council stage takes no ${other.join(', ')} (its members answer, in rounds)`,
    });
  const c = fieldsOf(stage['council']);
  if (c?.['question'] === undefined && stage['prompt'] === undefined)
    issues.push({ path: at('council', 'question'), message: 'required (or the stage prompt)' });
  const members = Array.isArray(c?.['members']) ? (c['members'] as unknown[]) : [];
  members.forEach((id, j) => {
    issues.push(...unknownAgent(id, at('council', 'members', j)));
  });
  const named = members.filter((id) => typeof id === 'string');
  if (new Set(named).size !== named.length)
    issues.push({ path: at('council', 'members'), message: 'a member is listed twice' });
  const min = typeof c?.['minMembers'] === 'number' ? c['minMembers'] : 3;
  if (members.length > 0 && members.length < min)
    issues.push({
      path: at('council', 'members'),
      message: `expected at least ${min} members (minMembers), got ${members.length}: fewer can never meet a quorum`,
    });
  const roles = c?.['roles'];
  if (Array.isArray(roles) && roles.length > 0 && !roles.includes(DISSENTER))
    issues.push({
      path: at('council', 'roles'),
      message: `expected '${DISSENTER}' among them: one member each round argues against the leading position`,
    });
  issues.push(...unknownAgent(c?.['synthesizer'], at('council', 'synthesizer')));
  const agreement = fieldsOf(c?.['agreement']);
  if (agreement?.['kind'] === 'judge')
    issues.push(...unknownAgent(agreement['agent'], at('council', 'agreement', 'agent')));
  return issues;
}
