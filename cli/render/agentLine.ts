/** What an agent went through, in words, for the agents whose calls failed or that restarted. */
import type { AgentActivity } from '../../log/agentActivity.js';

export function troubledAgents(agents: AgentActivity[]): string[] {
  return agents
    .filter((a) => a.failures > 0 || a.restarts > 0)
    .map((a) => {
      const stage = a.path.split('/stage/')[1]?.split('/')[0];
      return `${a.agent}${stage ? ` (${stage})` : ''}: ${a.calls} call(s), ${a.failures} failed, ${a.restarts} restart(s)${a.lastError ? `; last error: ${a.lastError}` : ''}`;
    });
}
