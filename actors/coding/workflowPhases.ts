/**
 * The coding workflow's phases as functions of what came before: each renders its prompt from
 * the library, asks its agent through the phase-call path (a schema per phase: red-flagged and
 * drawn again), and returns the workflow's state with its part added and a report for its gate.
 * Implement writes N candidates in parallel, tries each in its own worktree (tryCandidate.ts)
 * and lets the selection engine choose; debug is one agent, bounded, only when no candidate
 * passed. Apply and improve are in workflowApply.ts.
 */
import { PhaseAnswerError } from '../planning/phaseCall.js';
import {
  analysisSchema,
  hypothesesSchema,
  judgmentSchema,
  patchCandidateSchema,
  type PhaseReport,
} from './phaseSchemas.js';
import { describeSelection, resolveTie, selectCandidate } from './selection.js';
import {
  checkOutcome,
  freshCandidate,
  runCheck,
  tryCandidate,
  type TriedCandidate,
} from './tryCandidate.js';
import type { CandidateEvidence, Selection } from './types.js';
import { phaseVoteKeys } from './phaseVotes.js';
import { implementArchitecture } from './workflowArchitecture.js';
import { cliCandidate } from './workflowCli.js';
import { contextVars, requirePrevious, WorkflowError, type PhaseEnv } from './workflowEnv.js';
import type { WorkflowState } from './workflowState.js';

const json = (v: unknown) => JSON.stringify(v, null, 2);

export async function analyzePhase(env: PhaseEnv): Promise<WorkflowState> {
  const baseline = await runBaseline(env);
  const analysis = await env.runner(env.config.agent, env.config.vote)(
    'workflowAnalyze',
    analysisSchema,
    {
      ...contextVars(env),
      baseline: baseline
        ? `exit ${baseline.exitCode}${baseline.ok ? ' (passing)' : ' (FAILING)'}\n${baseline.output}`
        : 'no test command',
    },
    { signal: env.signal, voteKey: phaseVoteKeys.analyze },
  );
  return {
    ...env.previous,
    workflow: env.workflow,
    step: 'analyze',
    report: analysis.report,
    ...(baseline && { baseline }),
    analysis,
  };
}

/** The tests on the tree as it is (a failing baseline is a fact); tests that cannot run: stop. */
async function runBaseline(env: PhaseEnv): Promise<WorkflowState['baseline']> {
  const command = env.wsConfig.verify.test;
  if (!command) return undefined;
  const name = `${env.candidatePrefix}-baseline`;
  const ws = env.workspace;
  const candidate = await freshCandidate(ws, name);
  try {
    const r = await runCheck(ws, candidate, 'test', command, env.wsConfig, env.signal, env.path);
    if (r.notFound)
      throw new WorkflowError(
        'tests_cannot_run',
        `the workspace's test command '${command.argv[0]}' is not found in the sandbox`,
      );
    return checkOutcome(r);
  } finally {
    await ws.removeCandidate(candidate);
  }
}

export async function hypothesizePhase(env: PhaseEnv): Promise<WorkflowState> {
  const hypotheses = await env.runner(env.config.agent, env.config.vote)(
    'workflowHypothesize',
    hypothesesSchema,
    { ...contextVars(env), analysis: json(env.previous?.analysis ?? {}) },
    { signal: env.signal, voteKey: phaseVoteKeys.hypothesize },
  );
  return {
    ...requirePrevious(env),
    step: 'hypothesize',
    report: hypotheses.report,
    hypotheses,
  };
}

export async function implementPhase(env: PhaseEnv): Promise<WorkflowState> {
  const { config } = env;
  // Without analyze, nothing has run the tests yet: tests that cannot run stop here, not N times.
  const baseline = env.previous?.baseline ?? (await runBaseline(env));
  const implementers = config.implementers ?? [config.agent];
  const vars = {
    ...contextVars(env),
    analysis: json(env.previous?.analysis ?? {}),
    hypotheses: json(env.previous?.hypotheses?.hypotheses ?? []),
  };
  const architecture = implementArchitecture(env);
  env.events.append({
    type: 'workflow.architecture',
    path: env.path,
    stage: 'implement',
    topology: architecture.topology,
    rule: architecture.rule,
    reason: architecture.reason,
    agents: architecture.candidates,
    inputs: architecture.inputs ?? {},
  });
  const tried = await Promise.all(
    Array.from({ length: architecture.candidates }, (_, i) =>
      writeAndTry(env, implementers[i % implementers.length]!, `c${i + 1}`, vars, i),
    ),
  );
  const candidates = tried.map((t) => t.evidence);
  let selection = selectCandidate(candidates, {
    minAgreement: Math.min(config.agreement, candidates.length),
  });
  if (selection.outcome === 'tied') selection = await judgeTie(env, selection, candidates);
  for (const c of candidates)
    env.events.append({ type: 'workflow.candidate', path: env.path, evidence: c });
  env.events.append({ type: 'workflow.selection', path: env.path, selection });
  // Each worktree is a whole checkout: none is needed past its evidence (apply works from the diff).
  for (const t of tried) if (t.candidate) await env.workspace.removeCandidate(t.candidate);
  const chosen =
    selection.outcome === 'selected'
      ? candidates.find((c) => c.id === selection.chosen)
      : undefined;
  const lines = [
    `architecture: ${architecture.topology}, ${architecture.candidates} candidate${architecture.candidates === 1 ? '' : 's'} (rule ${architecture.rule}: ${architecture.reason})`,
    ...describeSelection(selection, candidates),
  ];
  const report: PhaseReport = chosen
    ? {
        summary: `${chosen.id} chosen of ${candidates.length} candidates: its tests pass`,
        findings: lines,
        risks: ['A patch that passes the visible tests can still overfit them: read the diff.'],
        questions: [
          { question: 'Does the chosen diff fix the cause, not the symptom?', priority: 'high' },
        ],
        next: config.phases.includes('debug')
          ? 'nothing to debug; the patch is applied to the tree next'
          : 'the patch is applied to the tree next',
      }
    : {
        summary: candidates.some((c) => c.test?.ok)
          ? `no candidate was confirmed: the green ones made changes fewer than ${config.agreement} agreed on`
          : `none of the ${candidates.length} candidates passed its tests`,
        findings: lines,
        risks: ['No patch is proven: nothing will be applied unless debug finds one.'],
        questions: [],
        next: 'debug: one agent, at most five iterations, on the failing output',
      };
  const outputs = Object.fromEntries(
    tried.filter((t) => t.testOutput !== undefined).map((t) => [t.evidence.id, t.testOutput!]),
  );
  return {
    ...requirePrevious(env),
    ...(baseline && { baseline }),
    step: 'implement',
    report,
    implement: {
      candidates,
      selection,
      ...(Object.keys(outputs).length > 0 && { outputs }),
      architecture: { ...architecture, tokens: env.tokens() },
    },
    ...(chosen?.apply.ok && {
      chosen: {
        candidate: chosen.id,
        from: 'implement' as const,
        diff: chosen.apply.diff,
        hash: chosen.apply.hash,
        stats: chosen.apply.stats,
      },
    }),
  };
}

/**
 * Clusters still tied after every deterministic step: the workflow's agent judges (its answer
 * decided by MAKER voting when the workflow's `judge.vote` says so); a judge that names no tied
 * candidate leaves the first by id, and the selection says so.
 */
async function judgeTie(
  env: PhaseEnv,
  tied: Extract<Selection, { outcome: 'tied' }>,
  candidates: readonly CandidateEvidence[],
): Promise<Selection> {
  const shown = tied.tied
    .map((id) => {
      const c = candidates.find((x) => x.id === id)!;
      return `=== ${id} ===\n${c.apply.ok ? c.apply.diff : ''}`;
    })
    .join('\n');
  const by = env.config.judge?.vote ? 'vote' : 'judge';
  let judged: { winner: string; reason: string };
  try {
    judged = await env.runner(env.config.agent, env.config.judge?.vote)(
      'workflowJudge',
      judgmentSchema,
      { task: env.task, analysis: json(env.previous?.analysis ?? {}), candidates: shown },
      { signal: env.signal, voteKey: (j) => j.winner },
    );
  } catch (err) {
    // a judge that cannot answer is no reason to lose every candidate's work
    if (!(err instanceof PhaseAnswerError)) throw err;
    return resolveTie(
      tied,
      tied.tied[0]!,
      by,
      `the judge gave no usable answer (${err.reason}): the first by id`,
    );
  }
  if (tied.tied.includes(judged.winner)) return resolveTie(tied, judged.winner, by, judged.reason);
  return resolveTie(
    tied,
    tied.tied[0]!,
    by,
    `the judge named '${judged.winner}', not one of ${tied.tied.join(', ')}: the first by id`,
  );
}

/** One candidate: the implementer's answer, then its trial; a red-flagged answer is evidence too. */
async function writeAndTry(
  env: PhaseEnv,
  agent: string,
  label: string,
  vars: Record<string, string>,
  index: number,
): Promise<TriedCandidate> {
  const id = `${env.candidatePrefix}-${label}`;
  const cli = env.cliOf(agent);
  if (cli) return cliCandidate(env, cli, id, vars);
  const source = `agent/${agent}#${index + 1}`;
  let answer: { edit: Parameters<typeof tryCandidate>[4] };
  try {
    answer = await env.runner(agent)('workflowImplement', patchCandidateSchema, vars, {
      label,
      signal: env.signal,
      // the first greedy, the others apart, so that N candidates are N different tries
      ...(index > 0 && { temperature: 0.7 }),
    });
  } catch (err) {
    if (!(err instanceof PhaseAnswerError)) throw err;
    const evidence: CandidateEvidence = {
      id,
      source,
      flagged: true,
      apply: { ok: false, reason: 'malformed', detail: err.message },
    };
    return { evidence };
  }
  return tryCandidate(env.workspace, env.wsConfig, id, source, answer.edit, env.signal, env.path);
}

export { debugPhase } from './workflowDebug.js';
