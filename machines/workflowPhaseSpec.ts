/**
 * How a workflow phase stage becomes a child spec: one phase worker (a promise actor) as the
 * transient, significant child of the stage supervisor. It opens the mission's workspace (its
 * transactions journaled in the mission's own log, a crash's open one settled first), runs its
 * phase (actors/coding/workflowPhases.ts) and answers with the workflow's state as JSON, which
 * becomes the stage's output. A failure no retry can fix (the tests cannot run, no patch passed)
 * is non-retryable: the mission fails with its message at once.
 */
import { fromPromise } from 'xstate';
import { callingAgent } from '../actors/agentCall.js';
import { applyStep, improvePhase, Playbook } from '../actors/coding/workflowApply.js';
import { WorkflowError, type PhaseEnv } from '../actors/coding/workflowEnv.js';
import {
  analyzePhase,
  debugPhase,
  hypothesizePhase,
  implementPhase,
} from '../actors/coding/workflowPhases.js';
import { parseState, type WorkflowState } from '../actors/coding/workflowState.js';
import { createPhaseRunner } from '../actors/planning/phaseCall.js';
import { createProvider } from '../actors/providers/createProvider.js';
import type { Provider } from '../actors/providers/provider.js';
import { loadPromptLibrary } from '../actors/promptLibrary.js';
import type { MissionConfig } from '../config/mission.js';
import type { WorkflowStep } from '../config/workflow.js';
import type { RecordedAnswer } from '../log/missionRecovery.js';
import type { ChildSpec, StartContext } from '../supervisors/index.js';
import { NonRetryableError } from '../supervisors/exits.js';
import type { Transport } from '../transport/transport.js';
import { Workspace, type WorkspaceLog } from '../workspace/index.js';
import type { RunnableStage } from './workflowStages.js';

export const phaseChildId = (step: WorkflowStep) => `phase/${step}`;

/** Where a mission's workflows keep their workspaces and journal their transactions. */
export interface WorkflowHost {
  stateDir: string;
  missionId: string;
  /** The mission's event log: workspace transactions are journaled there. */
  log: WorkspaceLog;
}

/** What the mission hands a phase stage when it starts it (its `prompt`, as JSON). */
export interface PhaseStart {
  /** The previous stage's output: the workflow's state so far. */
  previous?: string;
  /** A rejection's feedback, for a revision. */
  feedback?: string;
  /** The answers given with the last approval. */
  answers?: string;
  input?: string;
}

interface PhaseWorkerInput {
  env: Omit<PhaseEnv, 'workspace' | 'playbook'>;
  /** The coding CLIs the phase started: closed (their processes stopped) when it ends. */
  opened: Provider[];
  host: WorkflowHost;
  attempt: number;
  agent: string;
}

const steps: Record<WorkflowStep, (env: PhaseEnv) => Promise<WorkflowState>> = {
  analyze: analyzePhase,
  hypothesize: hypothesizePhase,
  implement: implementPhase,
  debug: debugPhase,
  apply: applyStep,
  improve: improvePhase,
};

/** A stage's answer (stageSpec.ts `StageAnswer`): the phase's agent and the workflow's state. */
interface PhaseAnswer {
  agent: string;
  text: string;
}

export const phaseWorker = fromPromise<PhaseAnswer, PhaseWorkerInput>(async ({ input, signal }) => {
  const { host } = input;
  const wsConfig = input.env.wsConfig;
  const workspace = await Workspace.open(wsConfig.path, {
    stateDir: host.stateDir,
    log: host.log,
    mission: host.missionId,
  });
  try {
    const playbook = new Playbook(host.stateDir, workspace.id);
    const env: PhaseEnv = { ...input.env, workspace, playbook: playbook.text(), signal };
    const state = await steps[env.step](env);
    if (env.step === 'improve' && state.improve)
      playbook.record(host.missionId, input.attempt, state.improve.entries);
    return { agent: input.agent, text: JSON.stringify(state) };
  } catch (err) {
    throw err instanceof WorkflowError ? new NonRetryableError(err.reason, err) : err;
  } finally {
    await Promise.allSettled(input.opened.map((p) => p.close?.()));
    workspace.close();
  }
});

export interface PhaseSpecOptions {
  attempt?: number;
  answers?: ReadonlyMap<string, RecordedAnswer>;
  host?: WorkflowHost;
}

export function workflowPhaseChildren(
  config: MissionConfig,
  stage: RunnableStage,
  start: PhaseStart,
  transport: Transport,
  options: PhaseSpecOptions,
): ChildSpec[] {
  const ref = stage.phase!;
  const wf = ref.config;
  const wsConfig = config.workspace;
  const host = options.host;
  if (!wsConfig || !host)
    throw new WorkflowError(
      'no_workspace',
      `stage '${stage.name}': a workflow needs the mission's workspace and a state directory`,
    );
  const sup = stage.supervision;
  const library = loadPromptLibrary();
  const attempt = options.attempt ?? 1;
  const answers = [
    start.answers,
    start.feedback && `Feedback on the last attempt: ${start.feedback}`,
  ]
    .filter(Boolean)
    .join('\n\n');
  const agent = ref.step === 'apply' ? 'maestro' : wf.agent;
  const previous = parseState(start.previous);
  return [
    {
      id: phaseChildId(ref.step),
      restart: sup.restart,
      significant: true,
      shutdown: sup.shutdownMs,
      backoff: sup.backoff,
      start: {
        logic: phaseWorker,
        input: (ctx: StartContext): PhaseWorkerInput => {
          const opened: Provider[] = [];
          const clis = new Map<string, Provider | undefined>();
          const cliOf = (id: string): Provider | undefined => {
            if (!clis.has(id)) {
              const a = config.agents.find((x) => x.id === id);
              const p = a && config.providers[a.provider];
              const made = p?.kind === 'cli' ? createProvider(a!.provider, p) : undefined;
              if (made) opened.push(made);
              clis.set(id, made);
            }
            return clis.get(id);
          };
          return {
            host,
            attempt,
            agent,
            opened,
            env: {
              cliOf,
              render: (name, vars) => library.render(name, vars, wf.promptVersions?.[name]).text,
              step: ref.step,
              workflow: ref.workflow,
              config: wf,
              task: wf.task.replaceAll('{{input}}', start.input ?? ''),
              ...(previous && { previous }),
              answers,
              runner: (id: string, vote?: { k: number; maxSamples: number }) =>
                createPhaseRunner({
                  ...(vote && { vote }),
                  transport,
                  agent: callingAgent(config, id),
                  budget: ctx.budget,
                  path: ctx.path,
                  events: ctx.runtime.events,
                  library,
                  resamples: wf.resamples,
                  ...(wf.promptVersions && { promptVersions: wf.promptVersions }),
                  replayable: true,
                  ...(options.answers && { replay: options.answers }),
                }).runSchema,
              wsConfig,
              candidatePrefix: `${ref.workflow}-${ref.step}-${attempt}`,
              events: ctx.runtime.events,
              path: ctx.path,
              stateDir: host.stateDir,
              tokens: () => ctx.budget.usage().tokens,
            },
          };
        },
      },
    },
  ];
}
