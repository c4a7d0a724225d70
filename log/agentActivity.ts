/**
 * What each agent did, folded from the log: calls made, calls failed, restarts and the last error,
 * by the agent's stable path. Fed live (the daemon's status) and from a recovered log alike.
 */
import type { LoggedEvent } from './missionLogEvent.js';

export interface AgentActivity {
  /** `mission/<id>/stage/<name>/agent/<id>` (or a plan task's agent path). */
  path: string;
  agent: string;
  calls: number;
  failures: number;
  restarts: number;
  /** The last failed call's error, or the last crash a restart followed. */
  lastError?: string;
}

export class AgentActivityFold {
  private readonly byPath = new Map<string, AgentActivity>();

  /** Takes `agent.call` records and supervisors' restart decisions; ignores the rest. */
  apply(e: LoggedEvent): void {
    if (e.type === 'agent.call') {
      if (e.path === undefined) return;
      const a = this.of(e.path, e.agent);
      a.calls++;
      if (!e.ok) {
        a.failures++;
        if (e.error !== undefined) a.lastError = e.error;
      }
    } else if (e.type === 'supervisor.decision' && e.action === 'restart' && e.offender) {
      if (!e.offender.id.startsWith('agent/')) return;
      const a = this.of(e.offender.path, e.offender.id.slice('agent/'.length));
      a.restarts++;
      a.lastError = e.reason;
    }
  }

  /** In the order agents first appeared. */
  views(): AgentActivity[] {
    return [...this.byPath.values()].map((a) => ({ ...a }));
  }

  get size(): number {
    return this.byPath.size;
  }

  private of(path: string, agent: string | undefined): AgentActivity {
    let a = this.byPath.get(path);
    if (!a) {
      a = {
        path,
        agent: agent ?? path.split('/').at(-1) ?? path,
        calls: 0,
        failures: 0,
        restarts: 0,
      };
      this.byPath.set(path, a);
    }
    return a;
  }
}
