/**
 * A workflow stage's cross-field rules: it is a workflow only (no prompt, agents, maker or plan;
 * its gates are the workflow's, not the stage's `approval`), every agent it names exists, and the
 * mission has a workspace with a test command (the tests are what select a candidate: without
 * them nothing proves a patch).
 */
import type { PathIssue } from './interpolate.js';

type Fields = Readonly<Record<string, unknown>>;
type Path = (string | number)[];

export function workflowStageRules(
  stage: Fields,
  at: (...rest: Path) => Path,
  unknownAgent: (id: unknown, path: Path) => PathIssue[],
  workspace: Fields | undefined,
): PathIssue[] {
  const issues: PathIssue[] = [];
  const other = ['prompt', 'agents', 'maker', 'plan'].filter((k) => stage[k] !== undefined);
  if (other.length > 0)
    issues.push({
      path: at('workflow'),
      message: `a workflow stage takes no ${other.join(', ')} (its phases make the prompts)`,
    });
  if (stage['approval'] !== undefined)
    issues.push({
      path: at('approval'),
      message: 'a workflow gates each phase itself: set workflow.gates and workflow.approval',
    });
  const wf = stage['workflow'];
  const w = wf && typeof wf === 'object' && !Array.isArray(wf) ? (wf as Fields) : undefined;
  issues.push(...unknownAgent(w?.['agent'], at('workflow', 'agent')));
  const implementers = Array.isArray(w?.['implementers']) ? (w['implementers'] as unknown[]) : [];
  implementers.forEach((id, j) => {
    issues.push(...unknownAgent(id, at('workflow', 'implementers', j)));
  });
  const verify = workspace?.['verify'];
  const test = verify && typeof verify === 'object' ? (verify as Fields)['test'] : undefined;
  if (!workspace)
    issues.push({
      path: at('workflow'),
      message:
        "a workflow needs the mission's workspace: add workspace: {path, verify: {test: [...]}}",
    });
  else if (test === undefined)
    issues.push({
      path: at('workflow'),
      message: 'a workflow needs workspace.verify.test: the tests are what choose a candidate',
    });
  return issues;
}
