/**
 * The architecture of a workflow's implement phase, decided and recorded: the selection's rules
 * (architecture.ts) on analyze's task features and the outcomes this repository's earlier
 * missions recorded for the task family (archStats.ts), or what the config forces. Its outcome
 * (did a patch pass) is recorded when the workflow applies, or fails to, so later selections
 * with enough records use it (Rule A).
 */
import { selectArchitecture } from './architecture.js';
import { measuredFor, readStats, recordOutcome } from './archStats.js';
import type { PhaseEnv } from './workflowEnv.js';
import type { ImplementArchitecture } from './workflowState.js';

export function familyOf(env: PhaseEnv): string {
  return env.config.family ?? env.workflow;
}

export function implementArchitecture(env: PhaseEnv): ImplementArchitecture {
  const { config } = env;
  const family = familyOf(env);
  if (config.architecture !== 'auto') {
    const single = config.architecture === 'single';
    return {
      topology: single ? 'single' : 'independent',
      rule: 'config',
      reason: `the workflow's config says architecture: ${config.architecture}`,
      candidates: single ? 1 : config.candidates,
      family,
    };
  }
  const measured = measuredFor(readStats(env.stateDir), family, 'implement');
  const s = selectArchitecture({
    stage: 'implement',
    features: env.previous?.analysis?.features ?? {},
    measured,
    verified: true, // every candidate is applied and tested before one is taken
  });
  const pool = s.topology !== 'single';
  return {
    topology: s.topology,
    rule: s.rule,
    // a lead and a pool is not built: its candidates run independent, each verified
    reason:
      s.topology === 'centralized' || s.topology === 'hybrid' || s.topology === 'decentralized'
        ? `${s.reason} (${s.topology} is not built: its candidates run independent, each verified)`
        : s.reason,
    candidates: pool ? config.candidates : 1,
    family,
    inputs: s.inputs,
  };
}

/** The implement phase's outcome for later selections: did a patch pass its tests. */
export function recordImplementOutcome(env: PhaseEnv, success: boolean): void {
  const arch = env.previous?.implement?.architecture;
  if (!arch) return;
  recordOutcome(env.stateDir, {
    family: arch.family,
    stage: 'implement',
    topology: arch.topology,
    models: [...new Set(env.config.implementers ?? [env.config.agent])],
    success,
  });
}
