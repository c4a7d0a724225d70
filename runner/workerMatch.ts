/**
 * Whether the workers in the registry can serve a mission: each provider it uses needs a worker,
 * and every worker serving it must run the very definition the mission names (the hash of the
 * secret-free canonical form, config/providerIdentity.ts). Agent calls of a provider go to any
 * of its workers (a queue group, a shared work queue), so one worker with another definition is
 * enough for calls to run on a provider the mission did not name: the mission refuses to start.
 */
import { describeDifferences, type ProviderIdentity } from '../config/providerIdentity.js';
import { UserError } from '../kernel/errors.js';
import type { WorkerRecord } from '../transport/natsRegistry.js';

export interface WorkerMismatch {
  provider: string;
  worker: string;
  /** The fields that differ, `model 'a' (worker) ≠ 'b' (mission)`; undefined when the worker advertises no definition. */
  differences?: string[];
}

export interface WorkerMatch {
  /** Providers no worker serves yet. */
  missing: string[];
  /** Workers that serve a provider with another definition than the mission's. */
  mismatched: WorkerMismatch[];
}

export function matchWorkers(
  workers: readonly WorkerRecord[],
  expected: Readonly<Record<string, ProviderIdentity>>,
): WorkerMatch {
  const missing: string[] = [];
  const mismatched: WorkerMismatch[] = [];
  for (const [provider, identity] of Object.entries(expected)) {
    const serving = workers.filter((w) => w.capabilities.includes(provider));
    if (serving.length === 0) missing.push(provider);
    for (const w of serving) {
      const theirs = w.definitions?.[provider];
      if (!theirs) mismatched.push({ provider, worker: w.id });
      else if (theirs.hash !== identity.hash)
        mismatched.push({
          provider,
          worker: w.id,
          differences: describeDifferences(theirs, identity),
        });
    }
  }
  return { missing, mismatched };
}

/** A worker serves a provider the mission uses with another definition: the mission does not start. */
export class ProviderMismatchError extends UserError {
  override name = 'ProviderMismatchError';
  readonly provider: string;
  readonly worker: string;
  constructor(readonly mismatches: readonly WorkerMismatch[]) {
    super(
      mismatches.map(describeMismatch).join('; ') +
        "; start workers with the mission's own providers: maestro worker --config MISSION_FILE",
    );
    this.provider = mismatches[0]?.provider ?? '';
    this.worker = mismatches[0]?.worker ?? '';
  }
}

export function describeMismatch(m: WorkerMismatch): string {
  if (!m.differences)
    return `provider '${m.provider}': worker ${m.worker} does not say which definition it runs (an older maestro worker)`;
  const what = m.differences.length > 0 ? ` (${m.differences.join(', ')})` : '';
  return `provider '${m.provider}': worker ${m.worker} runs a different definition${what}`;
}
