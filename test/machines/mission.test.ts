import { describe, expect, it } from 'vitest';
import { mission, runAndRead } from '../helpers/missions.js';

describe('mission statechart (runMission)', () => {
  it('should run stages in order, feed each output into the next prompt and return the last output', async () => {
    const config = mission({
      providers: {
        a: { kind: 'scripted', responses: ['draft text'] },
        // The echo shows what prompt the second stage received.
        b: {
          kind: 'cli',
          command: process.execPath,
          args: ['-e', 'process.stdout.write("got: " + process.argv[1])', '{prompt}'],
        },
      },
      agents: [
        { id: 'writer', provider: 'a' },
        { id: 'echo', provider: 'b' },
      ],
      stages: [
        { name: 'one', prompt: 'Write about {{input}}', agents: ['writer'] },
        { name: 'two', prompt: 'Review: {{previous}}', agents: ['echo'] },
      ],
      input: 'trees',
    });
    const { output, events } = await runAndRead(config);
    expect(output.status).toBe('succeeded');
    expect(output.result).toBe('got: Review: draft text');
    expect(output.stages.map((s) => s.name)).toEqual(['one', 'two']);
    expect(events.map((e) => e.type).filter((t) => t !== 'supervisor.decision')).toEqual([
      'mission.submitted',
      'mission.started',
      'stage.entered',
      'agent.call',
      'stage.finished',
      'stage.entered',
      'agent.call',
      'stage.finished',
      'mission.finished',
    ]);
    expect(events.every((e, i) => e.seq === i + 1 && e.mission === 'm1')).toBe(true);
    expect(output.usage.samples).toBe(2);
    expect(events.find((e) => e.type === 'stage.finished')).toMatchObject({
      stage: 'one',
      output: 'draft text',
    });
    expect(events.at(-1)).toMatchObject({
      type: 'mission.finished',
      status: 'succeeded',
      result: 'got: Review: draft text',
    });
  });

  it('should run the agents of one stage in parallel as workers and join their answers in agent order', async () => {
    const config = mission({
      providers: {
        slow: { kind: 'scripted', responses: [{ text: 'slow answer', delayMs: 50 }] },
        fast: { kind: 'scripted', responses: ['fast answer'] },
      },
      agents: [
        { id: 'first', provider: 'slow' },
        { id: 'second', provider: 'fast' },
      ],
      stages: [{ name: 'only', prompt: 'go', agents: ['first', 'second'] }],
    });
    const { output, events } = await runAndRead(config);
    expect(output.result).toBe('### first\nslow answer\n\n### second\nfast answer');
    const calls = events.filter((e) => e.type === 'agent.call').map((e) => e.agent);
    expect(calls).toEqual(['second', 'first']);
  });

  it('should restart a crashed agent and record the decision in the event log', async () => {
    const config = mission({
      providers: {
        flaky: { kind: 'scripted', responses: [{ error: 'boom', errorKind: 'server' }, 'fine'] },
      },
      agents: [{ id: 'x', provider: 'flaky' }],
      stages: [
        { name: 's', prompt: 'p', agents: ['x'], supervision: { intensity: 2, periodMs: 10_000 } },
      ],
    });
    const { output, events } = await runAndRead(config);
    expect(output.status).toBe('succeeded');
    expect(output.result).toBe('fine');
    const restart = events.find((e) => e.type === 'supervisor.decision' && e.action === 'restart');
    expect(restart).toMatchObject({
      supervisor: 'mission/m1/stage/s',
      errorContext: 'child_terminated',
      reason: "provider 'flaky': http 500: boom",
      offender: { id: 'agent/x', path: 'mission/m1/stage/s/agent/x', restart: 'transient' },
    });
    const calls = events.filter((e) => e.type === 'agent.call');
    expect(calls.map((c) => [c.ok, c.attempt])).toEqual([
      [false, 0],
      [true, 1],
    ]);
  });

  it('should fail with reached_max_restart_intensity and the last crash when a stage gives up, without restarting the stage (OTP: a transient child that exits shutdown stays down)', async () => {
    const config = mission({
      providers: {
        broken: { kind: 'scripted', responses: [{ error: 'down', errorKind: 'server' }] },
      },
      agents: [{ id: 'x', provider: 'broken' }],
      stages: [
        { name: 's', prompt: 'p', agents: ['x'], supervision: { intensity: 1, periodMs: 10_000 } },
      ],
      supervision: { intensity: 1, periodMs: 10_000 },
    });
    const { output, events } = await runAndRead(config);
    expect(output.status).toBe('failed');
    expect(output.error).toEqual({
      reason: 'reached_max_restart_intensity',
      message:
        "stage 's' gave up: reached_max_restart_intensity; last crash: agent/x: provider 'broken': http 500: down",
    });
    // The stage's intensity alone bounds the attempts: 1 + 1. The mission does not run the stage again.
    expect(events.filter((e) => e.type === 'agent.call')).toHaveLength(2);
    const gaveUp = events
      .filter((e) => e.type === 'supervisor.decision' && e.action === 'shutdown')
      .map((e) => [e.supervisor, e.errorContext]);
    expect(gaveUp).toEqual([
      ['mission/m1/stage/s', 'child_terminated'],
      ['mission/m1/stage/s', 'shutdown'],
    ]);
  });

  it.each([
    ['a prompt stage', { name: 's', prompt: 'p', agents: ['x'] }],
    [
      'a MAKER stage',
      { name: 's', maker: { task: { kind: 'hanoi', disks: 3 }, agent: 'x', k: 2, maxSamples: 10 } },
    ],
  ] as const)(
    'should end the mission at once on a non-retryable failure in %s (a scripted 401)',
    async (_kind, stage) => {
      const config = mission({
        providers: {
          broken: {
            kind: 'scripted',
            responses: [{ error: 'bad key', errorKind: 'server', status: 401 }],
          },
        },
        agents: [{ id: 'x', provider: 'broken' }],
        stages: [{ ...stage, supervision: { intensity: 5, periodMs: 10_000 } }],
        supervision: { intensity: 5, periodMs: 10_000 },
      } as Parameters<typeof mission>[0]);
      const { output, events } = await runAndRead(config);
      expect(output.status).toBe('failed');
      expect(output.error).toEqual({
        reason: 'non_retryable',
        message: "provider 'broken': http 401: bad key (non-retryable: http_401)",
      });
      expect(
        events.filter((e) => e.type === 'supervisor.decision' && e.action === 'restart'),
      ).toEqual([]);
    },
  );

  it('should stop with budget_exceeded and name the budget when tokens run out, without starting more work', async () => {
    const config = mission({
      providers: { p: { kind: 'scripted', responses: ['x'.repeat(400)] } },
      agents: [{ id: 'a', provider: 'p' }],
      stages: [
        { name: 's1', prompt: 'p', agents: ['a'] },
        { name: 's2', prompt: 'p', agents: ['a'] },
        { name: 's3', prompt: 'p', agents: ['a'] },
      ],
      budget: { tokens: 100 },
    });
    const { output, events } = await runAndRead(config);
    expect(output.status).toBe('failed');
    expect(output.error?.reason).toBe('budget_exceeded');
    expect(output.error?.message).toBe("budget_exceeded: tokens at 'mission/m1' (used 101 of 100)");
    // The first call spends 101 tokens, past 100; the second stage is refused before any call.
    expect(events.filter((e) => e.type === 'agent.call')).toHaveLength(1);
    expect(output.stages.map((s) => s.name)).toEqual(['s1']);
  });

  it('should fail a stage whose only agent is temporary and crashed with no_answer', async () => {
    const config = mission({
      providers: { broken: { kind: 'scripted', responses: [{ error: 'nope' }] } },
      agents: [{ id: 'x', provider: 'broken' }],
      stages: [{ name: 's', prompt: 'p', agents: ['x'], supervision: { restart: 'temporary' } }],
    });
    const { output } = await runAndRead(config);
    expect(output.status).toBe('failed');
    expect(output.error).toEqual({ reason: 'no_answer', message: "stage 's' produced no answer" });
  });

  it('should fail with no_answer when a middle stage produced nothing, without running the next stage', async () => {
    const config = mission({
      providers: {
        broken: { kind: 'scripted', responses: [{ error: 'nope' }] },
        ok: { kind: 'scripted', responses: ['fine'] },
      },
      agents: [
        { id: 'x', provider: 'broken' },
        { id: 'y', provider: 'ok' },
      ],
      stages: [
        { name: 'first', prompt: 'p', agents: ['x'], supervision: { restart: 'temporary' } },
        { name: 'second', prompt: 'p', agents: ['y'] },
      ],
    });
    const { output, events } = await runAndRead(config);
    expect(output.error).toEqual({
      reason: 'no_answer',
      message: "stage 'first' produced no answer",
    });
    expect(events.filter((e) => e.type === 'stage.entered').map((e) => e.stage)).toEqual(['first']);
  });

  it('should stop on request and fail with reason stopped', async () => {
    const config = mission({
      providers: { slow: { kind: 'scripted', responses: [{ text: 'late', delayMs: 60_000 }] } },
      agents: [{ id: 'x', provider: 'slow' }],
      stages: [{ name: 's', prompt: 'p', agents: ['x'] }],
    });
    const stop = new AbortController();
    // Stop as soon as the stage has started its agent, whose call would take a minute.
    const onEvent = (e: { type: string }) =>
      e.type === 'stage.entered' && queueMicrotask(() => stop.abort());
    const { output, events } = await runAndRead(config, { signal: stop.signal, onEvent });
    expect(output.status).toBe('failed');
    expect(output.error).toEqual({ reason: 'stopped', message: 'interrupted' });
    expect(events.filter((e) => e.type === 'agent.call' && e.ok)).toHaveLength(0);
  });
});

describe('agent call timeouts', () => {
  it('should default to the provider bound plus a margin, and refuse one shorter than the provider may take', async () => {
    const { agentTimeoutMs, providerBoundMs } = await import('../../config/mission.js');
    const config = mission({
      providers: {
        o: { kind: 'openai', model: 'm', timeoutMs: 10_000, maxRetries: 2 },
        s: { kind: 'scripted', responses: ['x'] },
      },
      agents: [
        { id: 'a', provider: 'o' },
        { id: 'b', provider: 's' },
      ],
      stages: [{ name: 's', prompt: 'p', agents: ['a', 'b'] }],
    });
    expect(providerBoundMs(config.providers.o!)).toBe(32_000);
    expect(agentTimeoutMs(config.agents[0]!, config.providers.o!)).toBe(33_000);
    expect(agentTimeoutMs(config.agents[1]!, config.providers.s!)).toBe(120_000);
    expect(() =>
      mission({
        providers: { o: { kind: 'openai', model: 'm', timeoutMs: 10_000, maxRetries: 2 } },
        agents: [{ id: 'a', provider: 'o', timeoutMs: 15_000 }],
        stages: [{ name: 's', prompt: 'p', agents: ['a'] }],
      }),
    ).toThrow(
      "15000 ms is shorter than provider 'o' may take (32000 ms with its timeout and retries); raise it or lower the provider's",
    );
  });
});

describe('budgets under parallel agents', () => {
  it('should reserve each sample before calling, so parallel agents cannot all pass a samples budget of 1', async () => {
    const config = mission({
      providers: { p: { kind: 'scripted', responses: [{ text: 'x', delayMs: 20 }] } },
      agents: ['a', 'b', 'c', 'd'].map((id) => ({ id, provider: 'p' })),
      stages: [{ name: 's', prompt: 'p', agents: ['a', 'b', 'c', 'd'] }],
      budget: { samples: 1 },
    });
    const { output, events } = await runAndRead(config);
    expect(output.status).toBe('failed');
    expect(output.error?.reason).toBe('budget_exceeded');
    expect(events.filter((e) => e.type === 'agent.call')).toHaveLength(0);
    expect(output.usage.samples).toBe(1);
  });

  // Eight agents on a priced model, each call answering 50 tokens to a 1-token prompt (51 spent),
  // whose worst case is its prompt bytes plus framing plus maxTokens: 2 + 8 + 50 = 60 tokens.
  const parallel = (budget: { tokens?: number; costUsd?: number }) =>
    mission({
      providers: {
        p: {
          kind: 'simulated',
          answers: ['x'.repeat(200)],
          latencyMs: { distribution: 'fixed', ms: 20 },
          prices: { inputPerMTok: 1000, outputPerMTok: 4000 },
        },
      },
      agents: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((id) => ({
        id,
        provider: 'p',
        maxTokens: 50,
      })),
      stages: [{ name: 's', prompt: 'go', agents: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'] }],
      budget,
    });

  it('should hold back the agents whose worst case fits only once calls in flight settle, and refuse, before the call, the one that cannot fit: parallel agents never pass a tokens limit', async () => {
    // Without reservations all eight would run and spend 8 × 51 = 408. With them, five run at
    // once (5 × 60 held), the others wait; once the five used 255, a worst case of 60 cannot fit.
    const { output, events } = await runAndRead(parallel({ tokens: 300 }));
    expect(output.status).toBe('failed');
    expect(output.error).toEqual({
      reason: 'budget_exceeded',
      message:
        "budget_exceeded: tokens at 'mission/m1' (used 255, 0 held by calls in flight, this call may take 60: more than 300)",
    });
    expect(output.usage.tokens).toBeLessThanOrEqual(300);
    // A refused call was never made: it is no agent.call and no sample.
    expect(
      events.filter((e) => e.type === 'agent.call' && String(e.error).includes('budget_exceeded')),
    ).toEqual([]);
    expect(output.usage.samples).toBe(5);
  });

  it('should run a waiting agent once the calls in flight settled below their worst case', async () => {
    // 5 × 60 held at first (a sixth would pass 330); 5 × 51 = 255 used leaves 75: a sixth worst case of 60 fits then, a seventh does not.
    const { output } = await runAndRead(parallel({ tokens: 330 }));
    expect(output.usage).toMatchObject({ tokens: 6 * 51, samples: 6 });
    expect(output.error?.message).toBe(
      "budget_exceeded: tokens at 'mission/m1' (used 306, 0 held by calls in flight, this call may take 60: more than 330)",
    );
  });

  it("should never pass a costUsd limit under parallel agents, priced at the provider's prices", async () => {
    // Worst case per call: 10 prompt tokens at $1000/M + 50 at $4000/M = $0.21; real: $0.201.
    const { output } = await runAndRead(parallel({ costUsd: 0.5 }));
    expect(output.status).toBe('failed');
    expect(output.error?.message).toBe(
      "budget_exceeded: costUsd at 'mission/m1' (used 0.402, 0 held by calls in flight, this call may take 0.21: more than 0.5)",
    );
    expect(output.usage.costUsd).toBeLessThanOrEqual(0.5);
  });

  it('should run every parallel agent when their worst cases fit together, and settle on what they used', async () => {
    const { output } = await runAndRead(parallel({ tokens: 480 }));
    expect(output.status).toBe('succeeded');
    expect(output.usage).toMatchObject({ tokens: 8 * 51, samples: 8 });
  });
});

describe('secrets', () => {
  it("should keep a cli provider's allowlisted secret out of the event log when the tool prints it", async () => {
    const secret = 'sk-ant-test-secret-000111222';
    const config = mission({
      providers: {
        tool: {
          kind: 'cli',
          command: process.execPath,
          args: [
            '-e',
            'process.stderr.write("auth failed for key " + process.env.ANTHROPIC_API_KEY); process.exit(3)',
          ],
          envAllowlist: ['PATH', 'ANTHROPIC_API_KEY'],
        },
      },
      agents: [{ id: 'a', provider: 'tool' }],
      stages: [{ name: 's', prompt: 'p', agents: ['a'], supervision: { restart: 'temporary' } }],
    });
    const { output, eventLogFile } = await runAndRead(config, {
      env: { PATH: process.env.PATH, ANTHROPIC_API_KEY: secret },
    });
    expect(output.status).toBe('failed');
    const { readFileSync } = await import('node:fs');
    const log = readFileSync(eventLogFile, 'utf8');
    expect(log).toContain('auth failed for key [REDACTED]');
    expect(log).not.toContain(secret);
  });
});
