import { describe, expect, it } from 'vitest';
import { providerIdentity } from '../../config/providerIdentity.js';
import { providerConfigSchema } from '../../config/providers.js';
import { matchWorkers, ProviderMismatchError } from '../../runner/workerMatch.js';
import type { WorkerRecord } from '../../transport/natsRegistry.js';

const sim = (model: string, ms = 0) =>
  providerIdentity(
    providerConfigSchema.parse({
      kind: 'simulated',
      model,
      latencyMs: { distribution: 'fixed', ms },
    }),
  );

function worker(id: string, definitions?: WorkerRecord['definitions']): WorkerRecord {
  return {
    v: 1,
    id,
    capabilities: Object.keys(definitions ?? { model: null }),
    host: 'h',
    pid: 1,
    version: '0',
    load: { inFlight: 0, concurrency: 1 },
    startedAt: 0,
    heartbeatAt: 0,
    ...(definitions && { definitions }),
  };
}

describe('matchWorkers (may these workers serve this mission?)', () => {
  it('should accept workers that run exactly the definitions the mission names', () => {
    expect(matchWorkers([worker('w1', { model: sim('a') })], { model: sim('a') })).toEqual({
      missing: [],
      mismatched: [],
    });
  });

  it('should list a provider nobody serves as missing', () => {
    expect(
      matchWorkers([worker('w1', { model: sim('a') })], { model: sim('a'), other: sim('b') }),
    ).toEqual({ missing: ['other'], mismatched: [] });
  });

  it('should name every worker of a provider that runs another definition, with the fields that differ, even beside one that matches', () => {
    const r = matchWorkers(
      [worker('w1', { model: sim('b', 5) }), worker('w2', { model: sim('a') })],
      { model: sim('a') },
    );
    expect(r).toEqual({
      missing: [],
      mismatched: [
        {
          provider: 'model',
          worker: 'w1',
          differences: [
            'latencyMs {"distribution":"fixed","ms":5} (worker) ≠ {"distribution":"fixed","ms":0} (mission)',
            "model 'b' (worker) ≠ 'a' (mission)",
          ],
        },
      ],
    });
    const err = new ProviderMismatchError(r.mismatched);
    expect(err).toBeInstanceOf(ProviderMismatchError);
    expect(err.name).toBe('ProviderMismatchError');
    expect([err.provider, err.worker]).toEqual(['model', 'w1']);
    expect(err.message).toBe(
      'provider \'model\': worker w1 runs a different definition (latencyMs {"distribution":"fixed","ms":5} (worker) ≠ {"distribution":"fixed","ms":0} (mission), model \'b\' (worker) ≠ \'a\' (mission)); start workers with the mission\'s own providers: maestro worker --config MISSION_FILE',
    );
  });

  it('should refuse a worker that advertises no definition (an older version): what it runs is unknown', () => {
    const r = matchWorkers([worker('old')], { model: sim('a') });
    expect(r.mismatched).toEqual([{ provider: 'model', worker: 'old' }]);
    expect(new ProviderMismatchError(r.mismatched).message).toBe(
      "provider 'model': worker old does not say which definition it runs (an older maestro worker); start workers with the mission's own providers: maestro worker --config MISSION_FILE",
    );
  });
});
