import { describe, expect, it } from 'vitest';
import type { MissionConfigInput } from '../../config/mission.js';
import { isLostDraw } from '../../machines/makerStageSpec.js';
import {
  ProviderError,
  ProviderHttpError,
  ProviderTimeoutError,
} from '../../actors/providers/errors.js';
import { NoRespondersError, RequestTimeoutError } from '../../transport/errors.js';
import { mission, runAndRead } from '../helpers/missions.js';

/** A MAKER stage on a model whose calls crash (a retryable provider error) at `crashRate`. */
function crashing(crashRate: number, maxSamples = 30) {
  return mission({
    providers: {
      sim: {
        kind: 'simulated',
        seed: 7,
        errorRate: 0,
        crashRate,
        task: { kind: 'hanoi', errorMode: 'dominant' },
      },
    },
    agents: [{ id: 'solver', provider: 'sim' }],
    // The default supervision: OTP's intensity 1 in 5 s.
    stages: [
      {
        name: 'solve',
        maker: { task: { kind: 'hanoi', disks: 5 }, agent: 'solver', k: 2, maxSamples },
      },
    ],
  } as Pick<MissionConfigInput, 'providers' | 'agents' | 'stages'>);
}

describe('MAKER: a failed sample is a lost draw, not a crashed worker', () => {
  it('should finish at the default restart limits with 10% of its calls crashing, counting them lost', async () => {
    const { output, events } = await runAndRead(crashing(0.1));
    expect(output.status).toBe('succeeded');
    const votes = events.filter((e) => e.type === 'maker.vote');
    expect(votes.filter((v) => v.outcome === 'decided')).toHaveLength(31);
    const lost = votes.reduce((n, v) => n + (v.flagged?.lost ?? 0), 0);
    expect(lost).toBeGreaterThan(0);
    // No restart was spent on them: the stage's worker ran once.
    expect(
      events.filter((e) => e.type === 'supervisor.decision' && e.action === 'restart'),
    ).toEqual([]);
  });

  it('should still end a step whose every draw is lost at its sample cap (exhausted), not loop', async () => {
    const { output, events } = await runAndRead(crashing(1, 6));
    expect(output.status).toBe('failed');
    const votes = events.filter((e) => e.type === 'maker.vote');
    expect(votes.length).toBeGreaterThan(0);
    expect(
      votes.every((v) => v.outcome === 'exhausted' && v.samples === 6 && v.flagged?.lost === 6),
    ).toBe(true);
  });

  it('should count as lost only what a retry may cure', () => {
    expect(isLostDraw(new ProviderTimeoutError('p', 1000))).toBe(true);
    expect(isLostDraw(new ProviderHttpError('p', 503))).toBe(true);
    expect(isLostDraw(new ProviderHttpError('p', 401))).toBe(false);
    expect(isLostDraw(new RequestTimeoutError('maestro.agent.call.p', 1000))).toBe(true);
    expect(isLostDraw(new NoRespondersError('maestro.agent.call.p'))).toBe(false);
    expect(isLostDraw(new Error('a bug'))).toBe(false);
    expect(isLostDraw(new ProviderError('p', 'aborted', 'stopped'))).toBe(false);
  });
});
