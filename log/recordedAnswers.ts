/**
 * Agents' answers as their `agent.call` records carry them (since 0.2), and a planner's as its
 * `genius.phase` and `genius.text` records do, kept while their stage has not finished: what a
 * resumed stage replays instead of asking again.
 */
import type { LoggedEventOf } from './missionLogEvent.js';

/** An agent's answer as its `agent.call` recorded it: what a resume replays instead of asking. */
export interface RecordedAnswer {
  text: string;
  promptHash: string;
  usage: { promptTokens: number; completionTokens: number; totalTokens: number };
  costUsd: number;
  latencyMs: number;
  provider: string;
  model: string;
}

export function keepAnswer(
  answers: Map<string, RecordedAnswer>,
  e: LoggedEventOf<'agent.call'>,
): void {
  if (!e.ok || e.text === undefined || e.promptHash === undefined || e.path === undefined) return;
  answers.set(e.path, {
    text: e.text,
    promptHash: e.promptHash,
    usage: {
      promptTokens: e.usage?.promptTokens ?? 0,
      completionTokens: e.usage?.completionTokens ?? 0,
      totalTokens: e.usage?.totalTokens ?? 0,
    },
    costUsd: e.costUsd ?? 0,
    latencyMs: e.latencyMs ?? 0,
    provider: e.provider ?? '',
    model: e.model ?? '',
  });
}

/**
 * A planner call's answer (a phase's parsed output as JSON, or a text), by its caller path and
 * how many answers that caller had before it: `<runner>/<phase>[/<label>]#<n>` (a premortem is
 * asked again after each revision, and each answer is replayed for its own prompt).
 */
export function keepPhaseAnswer(
  answers: Map<string, RecordedAnswer>,
  e: LoggedEventOf<'genius.phase'> | LoggedEventOf<'genius.text'>,
): void {
  if (e.promptHash === undefined) return;
  const text = e.type === 'genius.phase' ? JSON.stringify(e.output) : e.text;
  if (text === undefined) return;
  const caller = phaseCaller(e.path, e.phase, e.label);
  let n = 0;
  while (answers.has(`${caller}#${n}`)) n++;
  answers.set(`${caller}#${n}`, {
    text,
    promptHash: e.promptHash,
    usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0 },
    costUsd: 0,
    latencyMs: 0,
    provider: '',
    model: '',
  });
}

/** A planner call's caller path: its runner's path, the phase, and the label of a parallel call. */
export function phaseCaller(path: string, phase: string, label?: string): string {
  return `${path}/${phase}${label === undefined ? '' : `/${label}`}`;
}

/**
 * How far the run of a plan stage's last compiled plan got, as far as a resume must not do it
 * again: its tasks that failed (with their errors; not run again, the replan goes on from them),
 * whether the planner's board synthesis before the replan is on the board (not asked again), and
 * whether the replan was recorded before its plan was compiled (a resume makes it again, from
 * the same logged answers, and records it again: it is not one more replan).
 */
export interface PlanRun {
  failed: Record<string, string>;
  reflected: boolean;
  revised: boolean;
}

/** A plan's progress after one more of its events (a compiled plan starts a new run); `p` itself. */
export function foldRun<P extends { run?: PlanRun }>(
  p: P,
  e: LoggedEventOf<
    'plan.compiled' | 'plan.revised' | 'task.failed' | 'blackboard.entry' | 'blackboard.compressed'
  >,
): P {
  if (e.type === 'plan.compiled') p.run = { failed: {}, reflected: false, revised: false };
  else if (p.run && e.type === 'plan.revised') p.run.revised = true;
  else if (p.run && e.type === 'task.failed') p.run.failed[e.task] = e.error;
  else if (p.run && e.type === 'blackboard.entry' && e.kind === 'synthesis') p.run.reflected = true;
  return p;
}

/** A finished stage's answers are in its `stage.finished`: its agents' are not kept. */
export function forgetAnswers(
  answers: Map<string, RecordedAnswer>,
  stage: string,
  attempt: number,
): void {
  const under = `/stage/${attempt > 1 ? `${stage}@${attempt}` : stage}/`;
  for (const path of answers.keys()) if (path.includes(under)) answers.delete(path);
}
