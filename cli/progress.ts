/** Human progress lines on stderr, from the mission's events as they are written. */
import type { LoggedEvent } from '../actors/eventLog.js';

type Write = (line: string) => void;

export function progressPrinter(write: Write, now: () => number = Date.now): (e: LoggedEvent) => void {
  let stages = 0;
  const maker = { lastPrint: 0, steps: 0, samples: 0, flagged: 0, started: 0 };
  return (e) => {
    switch (e.type) {
      case 'maker.vote': {
        // One line a second at most: a MAKER task may take a million steps.
        maker.steps = (e.step as number) + 1;
        maker.samples += e.samples as number;
        if (maker.started === 0) maker.started = now();
        if (e.outcome === 'exhausted') write(`  ✗ vote exhausted at step ${e.step} after ${e.samples} samples`);
        else if (now() - maker.lastPrint >= 1000) {
          maker.lastPrint = now();
          const secs = Math.max(0.001, (now() - maker.started) / 1000);
          write(`  … step ${maker.steps}: ${(maker.samples / maker.steps).toFixed(3)} samples/step, ${Math.round(maker.steps / secs)} steps/s`);
        }
        break;
      }
      case 'mission.started': {
        stages = (e.stages as string[]).length;
        write(`mission ${e.mission}: ${stages} stage${stages === 1 ? '' : 's'}`);
        break;
      }
      case 'stage.entered':
        write(`▶ stage ${(e.index as number) + 1}/${stages} ${e.stage}: ${(e.agents as string[]).join(', ')}`);
        break;
      case 'agent.call': {
        const who = `${e.agent} via ${e.provider}`;
        if (e.ok) {
          const usage = e.usage as { totalTokens: number };
          write(`  ✓ ${who} (${e.model}): ${usage.totalTokens} tokens, ${formatMs(e.latencyMs as number)}`);
        } else write(`  ✗ ${who}: ${e.error}`);
        break;
      }
      case 'supervisor.decision': {
        const line = decisionLine(e, `mission/${e.mission}/`);
        if (line) write(`  ${line}`);
        break;
      }
      case 'stage.finished':
        write(`✓ stage ${e.stage}: ${e.answers} answer${e.answers === 1 ? '' : 's'}`);
        break;
      default: {
        const line = planLine(e);
        if (line) write(`  ${line}`);
      }
    }
  };
}

/** A line for the decisions a person wants to see; routine ends (a finished agent, a finished stage) print nothing. */
export function decisionLine(e: LoggedEvent, prefix: string): string | undefined {
  const short = (p: unknown) => (typeof p === 'string' && p.startsWith(prefix) ? p.slice(prefix.length) : String(p ?? ''));
  const offender = short((e.offender as { path?: string } | undefined)?.path);
  const sup = short(e.supervisor);
  if (e.errorContext === 'auto_shutdown' || ((e.action === 'no_restart' || e.action === 'remove') && e.reason === 'normal')) return undefined;
  switch (e.action) {
    case 'restart': {
      const delay = (e.delayMs as number) > 0 ? ` after ${formatMs(e.delayMs as number)}` : '';
      return `↻ supervisor ${sup} restarts ${offender}${delay} (${e.reason})`;
    }
    case 'kill':
      return `☠ supervisor ${sup} killed ${offender}: it did not stop within its shutdown timeout`;
    case 'shutdown':
      return `■ supervisor ${sup} gives up: ${e.reason}`;
    case 'remove':
      return `− supervisor ${sup} removed ${offender} (${e.reason})`;
    default:
      return `· supervisor ${sup}: ${offender} ended (${e.reason}), not restarted`;
  }
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** A plan stage's milestones: the planner's phases, the compiled graph, failed tasks, replans, the monitor. */
export function planLine(e: LoggedEvent): string | undefined {
  switch (e.type) {
    case 'genius.phase':
      return `◆ ${e.phase}${e.label === undefined ? '' : ` (${e.label})`} by ${e.prompt}${(e.flagged as number) > 0 ? `, ${e.flagged} red-flagged` : ''}`;
    case 'plan.compiled': {
      const tasks = e.tasks as { id: string }[];
      return `▤ plan: ${tasks.length} task${tasks.length === 1 ? '' : 's'} (${tasks.map((t) => t.id).join(', ')}) in ${(e.levels as unknown[]).length} level(s)`;
    }
    case 'plan.rejected':
      return `✗ plan rejected: ${e.error}`;
    case 'task.failed':
      return `✗ task ${e.task} failed`;
    case 'task.blocked':
      return `⊘ task ${e.task} blocked (${e.dependency} did not finish)`;
    case 'plan.revised':
      return `↺ replan ${e.replan}: around ${(e.failed as string[]).join(', ') || 'the reviewer\'s concerns'}`;
    case 'monitor.abort':
      return `■ monitor aborts (${e.by}): ${e.message}`;
    case 'monitor.revise':
      return `↺ reviewer asks for a revision: ${e.message}`;
    default:
      return undefined;
  }
}
