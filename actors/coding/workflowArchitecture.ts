/**
 * The architecture of a workflow's implement phase, decided and recorded: the selection's rules
 * (architecture.ts) on analyze's task features and the outcomes this repository's earlier
 * missions recorded for the task family (archStats.ts), or what the config forces. Its outcome
 * (did a patch pass) is recorded when the workflow applies, or fails to, so later selections
 * with enough records use it (Rule A).
 */
import { MIN_RECORDS, selectArchitecture, shouldDegrade } from './architecture.js';
import { measuredFor, readStats, recordOutcome, type ArchStatsRow } from './archStats.js';
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
  const stats = readStats(env.stateDir);
  const measured = measuredFor(stats, family, 'implement');
  const s = selectArchitecture({
    stage: 'implement',
    features: env.previous?.analysis?.features ?? {},
    measured,
    verified: true, // every candidate is applied and tested before one is taken
  });
  const degraded = degradeOnRecord(stats.rows, family, s.topology, measured);
  if (degraded)
    return {
      topology: 'single',
      rule: 'degrade',
      reason: `${s.reason}; but ${degraded}`,
      candidates: 1,
      family,
      inputs: s.inputs,
    };
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
    ...(arch.tokens !== undefined && { tokens: arch.tokens }),
  });
}

/**
 * Online degradation (Kim et al.): this family's recorded outcomes say the chosen topology does
 * worse than one agent (error amplification (1−S_MAS)/(1−S_SAS) over 1), or costs over 300% more
 * tokens than one agent for the same family: then one agent, and why. Both need MIN_RECORDS runs
 * of each.
 */
function degradeOnRecord(
  rows: readonly ArchStatsRow[],
  family: string,
  topology: ImplementArchitecture['topology'],
  sas: { singleAgentSuccess?: number; records: number },
): string | undefined {
  if (topology === 'single' || sas.records < MIN_RECORDS) return undefined;
  const mas = rows.filter(
    (r) => r.family === family && r.stage === 'implement' && r.topology === topology,
  );
  const runs = mas.reduce((n, r) => n + r.runs, 0);
  if (runs < MIN_RECORDS) return undefined;
  const masSuccess = mas.reduce((n, r) => n + r.successes, 0) / runs;
  const tokens = (ts: readonly ArchStatsRow[]) => {
    const known = ts.filter((r) => r.meanTokens !== undefined);
    const n = known.reduce((s, r) => s + r.runs, 0);
    return n === 0 ? undefined : known.reduce((s, r) => s + r.meanTokens! * r.runs, 0) / n;
  };
  const single = rows.filter(
    (r) => r.family === family && r.stage === 'implement' && r.topology === 'single',
  );
  const [t1, tn] = [tokens(single), tokens(mas)];
  const d = shouldDegrade({
    topology,
    sasSuccess: sas.singleAgentSuccess!,
    masSuccess,
    ...(t1 !== undefined && tn !== undefined && t1 > 0 && { overheadPct: (tn / t1 - 1) * 100 }),
  });
  return d.degrade ? d.reason : undefined;
}
