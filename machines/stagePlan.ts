/**
 * How a mission's config becomes child specs: a stage is a supervisor whose children are the
 * stage's agents as transient (or temporary), significant workers, so the stage ends by itself
 * (auto_shutdown all_significant) once every agent has answered, with their answers as output.
 */
import { agentWorkerLogic, type AgentWorkerInput, type AgentWorkerOutput } from '../actors/agentWorker.js';
import { agentTimeoutMs, type MissionConfig, type StageConfig } from '../config/mission.js';
import type { ChildSpec, StartContext, SupervisorInput } from '../supervisors/index.js';
import { supervisorMachine } from '../supervisors/index.js';
import type { Transport } from '../transport/transport.js';

export function stagePrompt(stage: StageConfig, input: string | undefined, previous: { name: string; text: string } | undefined): string {
  let prompt = stage.prompt.replaceAll('{{input}}', input ?? '');
  if (prompt.includes('{{previous}}')) return prompt.replaceAll('{{previous}}', previous?.text ?? '');
  if (previous) prompt += `\n\n---\nOutput of the previous stage '${previous.name}':\n${previous.text}`;
  return prompt;
}

export function stageChildSpec(config: MissionConfig, stage: StageConfig, prompt: string, transport: Transport): ChildSpec {
  const sup = stage.supervision;
  const agentSpec = (agentId: string): ChildSpec => {
    const found = config.agents.find((a) => a.id === agentId)!;
    const agent = { ...found, timeoutMs: agentTimeoutMs(found, config.providers[found.provider]!) };
    return {
      id: `agent/${agentId}`,
      restart: sup.restart,
      significant: true,
      shutdown: sup.shutdownMs,
      backoff: sup.backoff,
      start: {
        logic: agentWorkerLogic,
        input: (ctx: StartContext): AgentWorkerInput => ({
          path: ctx.path,
          agent,
          prompt,
          transport,
          events: ctx.runtime.events,
          budget: ctx.budget,
          clock: ctx.runtime.clock,
          attempt: ctx.restarts,
        }),
      },
    };
  };
  return {
    id: `stage/${stage.name}`,
    type: 'supervisor',
    restart: 'transient',
    budget: stage.budget,
    start: {
      logic: supervisorMachine,
      input: (ctx: StartContext): SupervisorInput => ({
        name: ctx.path,
        runtime: ctx.runtime,
        budget: ctx.budget,
        flags: { strategy: sup.strategy, intensity: sup.intensity, periodMs: sup.periodMs, autoShutdown: 'all_significant' },
        children: stage.agents.map(agentSpec),
      }),
    },
  };
}

/** A stage's answers in the stage's agent order; one answer is the text itself. */
export function stageText(stage: StageConfig, answers: AgentWorkerOutput[]): string {
  if (answers.length === 1) return answers[0]!.text;
  return answers.map((a) => `### ${a.agent}\n${a.text}`).join('\n\n');
}

/** The answers in a finished stage supervisor's results, in the stage's agent order. */
export function stageAnswers(stage: StageConfig, results: Record<string, unknown>): AgentWorkerOutput[] {
  return stage.agents
    .map((id) => results[`agent/${id}`] as AgentWorkerOutput | null | undefined)
    .filter((a): a is AgentWorkerOutput => a != null);
}
