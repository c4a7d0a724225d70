/**
 * Debug: one agent (Kim et al.: several agents degrade sequential debugging by 39–70%), at most
 * `debugIterations` steps, each given the failing test output of the last try. A fix that fails
 * is run once more on its own: passing then, its test is labelled flaky and not trusted. The
 * same failure twice in a row (no progress), or the last iteration, escalates to a person with
 * the trace; so does a run where every candidate was red-flagged. When implement's patch already
 * passed, there is nothing to debug and no gate.
 */
import { phaseGated } from '../../config/workflow.js';
import { debugStepSchema, type PhaseReport } from './phaseSchemas.js';
import { phaseVoteKeys } from './phaseVotes.js';
import { checkOutcome, runCheck, tryCandidate } from './tryCandidate.js';
import type { CandidateEvidence } from './types.js';
import { contextVars, requirePrevious, WorkflowError, type PhaseEnv } from './workflowEnv.js';
import type { DebugIteration, WorkflowState } from './workflowState.js';

export async function debugPhase(env: PhaseEnv): Promise<WorkflowState> {
  const state = requirePrevious(env);
  if (state.chosen)
    return {
      ...state,
      step: 'debug',
      gate: false,
      report: {
        summary: `nothing to debug: ${state.chosen.candidate} passed its tests`,
        findings: [],
        risks: [],
        questions: [],
        next: 'the patch is applied to the tree',
      },
      debug: { outcome: 'not_needed', iterations: [] },
    };
  const candidates = state.implement?.candidates ?? [];
  const start = startingPoint(candidates, state.implement?.outputs ?? {});
  const iterations: DebugIteration[] = [];
  const vars = { ...contextVars(env), analysis: JSON.stringify(state.analysis ?? {}, null, 2) };
  let patch = start?.diff ?? '(no candidate applied)';
  let failure = start?.output ?? '(no test ran)';
  let lastSignature: string | undefined;
  const escalate = (reason: string): WorkflowState => {
    if (!phaseGated(env.config, 'debug'))
      throw new WorkflowError('debug_escalated', `debug escalated with no gate to ask: ${reason}`);
    return {
      ...state,
      step: 'debug',
      report: escalationReport(reason, iterations),
      debug: { outcome: 'escalated', iterations, reason },
    };
  };
  if (candidates.length > 0 && candidates.every((c) => c.flagged))
    return escalate('every candidate was red-flagged (no answer passed the implement schema)');
  for (let i = 0; i < env.config.debugIterations; i++) {
    const step = await env.runner(env.config.agent, env.config.vote)(
      'workflowDebug',
      debugStepSchema,
      { ...vars, patch, failure, steps: stepsText(iterations) },
      { label: `i${i + 1}`, signal: env.signal, voteKey: phaseVoteKeys.debug },
    );
    const iteration: DebugIteration = { step };
    iterations.push(iteration);
    if (!step.fix) continue;
    const name = `${env.candidatePrefix}-d${i + 1}`;
    const tried = await tryCandidate(
      env.workspace,
      env.wsConfig,
      name,
      `agent/${env.config.agent}#debug${i + 1}`,
      step.fix.edit,
      env.signal,
      env.path,
    );
    iteration.tried = tried.evidence;
    env.events.append({ type: 'workflow.candidate', path: env.path, evidence: tried.evidence });
    const applied = tried.evidence.apply;
    if (applied.ok && tried.evidence.test?.ok) {
      if (tried.candidate) await env.workspace.removeCandidate(tried.candidate);
      return {
        ...state,
        step: 'debug',
        report: fixedReport(name, iterations),
        debug: { outcome: 'fixed', iterations },
        chosen: {
          candidate: name,
          from: 'debug',
          diff: applied.diff,
          hash: applied.hash,
          stats: applied.stats,
        },
      };
    }
    if (applied.ok && tried.candidate && env.wsConfig.verify.test) {
      // red: run it once more alone; a test that passes now is flaky, and proves nothing
      const again = await runCheck(
        env.workspace,
        tried.candidate,
        'test',
        env.wsConfig.verify.test,
        env.wsConfig,
        env.signal,
        env.path,
      );
      await env.workspace.removeCandidate(tried.candidate);
      if (again.ok) iteration.flaky = true;
      patch = applied.diff;
      failure = checkOutcome(again).output;
    } else if (!applied.ok) failure = `the fix did not apply: ${applied.reason}: ${applied.detail}`;
    const signature = `${step.label}|${normalizeFailure(failure)}`;
    if (signature === lastSignature)
      return escalate(`the same failure twice in a row (${step.label}): no progress`);
    lastSignature = signature;
  }
  return escalate(`${env.config.debugIterations} iterations without a passing patch`);
}

/** The applied candidate that passed the most tests, and its output: where debugging starts. */
function startingPoint(
  candidates: readonly CandidateEvidence[],
  outputs: Readonly<Record<string, string>>,
): { diff: string; output: string } | undefined {
  const applied = candidates.filter((c) => c.apply.ok);
  applied.sort((a, b) => (b.test?.passed ?? 0) - (a.test?.passed ?? 0));
  const best = applied[0];
  if (!best?.apply.ok) return undefined;
  return { diff: best.apply.diff, output: outputs[best.id] ?? '(no output kept)' };
}

/** A failure's output without what changes from run to run (times, durations, pids). */
function normalizeFailure(output: string): string {
  return output
    .replace(/\d+(\.\d+)?\s*m?s\b/g, '')
    .replace(/duration_ms[^\n]*/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

function stepsText(iterations: readonly DebugIteration[]): string {
  return iterations
    .map((it, i) => {
      const tried = it.tried;
      const outcome = !tried
        ? 'no fix given'
        : !tried.apply.ok
          ? `fix did not apply (${tried.apply.reason})`
          : `fix tried: tests ${tried.test?.ok ? 'pass' : 'fail'}${it.flaky ? ' (flaky)' : ''}`;
      return `${i + 1}. ${it.step.label}: ${it.step.experiment} — ${outcome}`;
    })
    .join('\n');
}

function fixedReport(name: string, iterations: readonly DebugIteration[]): PhaseReport {
  const last = iterations.at(-1)!.step.report;
  return {
    ...last,
    summary: `fixed in ${iterations.length} iteration${iterations.length === 1 ? '' : 's'}: ${name} passes its tests. ${last.summary}`,
  };
}

function escalationReport(reason: string, iterations: readonly DebugIteration[]): PhaseReport {
  return {
    summary: `debug escalated: ${reason}`,
    findings: stepsText(iterations).split('\n').filter(Boolean),
    risks: ['No patch passed its tests: approving applies nothing and the mission fails.'],
    questions: [
      {
        question: 'What should the debugger try? Reject with your hint to run debug again.',
        priority: 'critical',
      },
    ],
    next: 'reject with feedback to debug again; approve to end the mission without a patch',
  };
}
