/**
 * Every tool of `maestro mcp` through the official SDK client, in each protocol era the SDK
 * serves (2025 over a linked in-memory transport, 2026-07-28 through the HTTP handler): the
 * listing is deterministic and under its token cap, each tool called with valid arguments gives
 * a result its output schema accepts, and each called with invalid ones gives an isError result
 * that names the field.
 */
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listingTokens } from '../../mcp/toolServer.js';
import { eventually } from '../helpers/eventually.js';
import {
  CAREFUL_PATCH,
  callError,
  callOk,
  type Era,
  HASTY_PATCH,
  type McpFixture,
  mcpFixture,
} from '../helpers/mcpFixture.js';

const TEST = ['node', '--test', 'test/'];

describe.each<Era>(['2025', '2026'])('maestro mcp tools, protocol era %s', (era) => {
  let fx: McpFixture;
  let client: Client;
  const called = new Set<string>();
  const ok = async (name: string, args: Record<string, unknown>) => {
    called.add(name);
    const result = await callOk(client, name, args);
    const tool = fx.open.tools.find((t) => t.name === name)!;
    expect(tool.output.safeParse(result).success, `${name}: ${JSON.stringify(result)}`).toBe(true);
    return result as Record<string, any>;
  };

  beforeAll(async () => {
    fx = await mcpFixture();
    client = await fx.connect(era);
  });
  afterAll(async () => {
    await fx.close();
    fx.remove();
  });

  it('should list the same 25 tools byte for byte on every call, under 5,000 tokens', async () => {
    const first = await client.listTools();
    const second = await client.listTools();
    expect(JSON.stringify(second.tools)).toBe(JSON.stringify(first.tools));
    expect(first.tools.map((t) => t.name)).toEqual(fx.open.tools.map((t) => t.name));
    expect(first.tools).toHaveLength(25);
    expect(Math.ceil(JSON.stringify(first.tools).length / 4)).toBeLessThan(5000);
    expect(listingTokens(fx.open.tools)).toBeLessThan(5000);
    for (const t of first.tools) {
      expect(t.inputSchema.type).toBe('object');
      expect(t.outputSchema?.type).toBe('object');
      expect(t.description!.length).toBeLessThanOrEqual(200);
    }
  });

  it('should answer the consult and consensus tools from the agents file', async () => {
    expect(await ok('consult', { agent: 'echo', prompt: 'hello' })).toMatchObject({
      agent: 'echo',
      text: 'scripted answer',
      model: 'scripted',
    });
    const ens = await ok('ensemble', { agents: ['sure', 'split'], samples: 2, prompt: 'q' });
    expect(ens.answers.map((a: { agent: string }) => a.agent)).toEqual([
      'sure',
      'sure',
      'split',
      'split',
    ]);
    expect(ens.answers[0].text).toBe('42');
    const decided = await ok('vote', { agent: 'sure', prompt: 'q', k: 3 });
    expect(decided).toMatchObject({ outcome: 'decided', winner: '42', margin: 3, samples: 3 });
    // Three answers at random: none gets 4 ahead within 6 samples, and no plurality is passed off.
    const exhausted = await ok('vote', { agent: 'split', prompt: 'q', k: 4, maxSamples: 6 });
    expect(exhausted.outcome).toBe('exhausted');
    expect(exhausted.winner).toBeUndefined();
    expect(exhausted.samples).toBe(6);
    expect(
      Object.values(exhausted.votes as Record<string, number>).reduce((a, b) => a + b, 0),
    ).toBe(6);
    // A rule every sample fails: all red-flagged, none voted.
    const flagged = await ok('vote', {
      agent: 'sure',
      prompt: 'q',
      k: 2,
      maxSamples: 4,
      patterns: ['^4'],
    });
    expect(flagged).toMatchObject({
      outcome: 'exhausted',
      samples: 4,
      votes: {},
      redFlags: { pattern: 4 },
    });
    expect(
      await ok('red_flag_check', { text: 'the answer: 7', extract: 'answer: (\\d+)' }),
    ).toEqual({
      flagged: false,
      answer: '7',
    });
    expect(await ok('red_flag_check', { text: 'x'.repeat(50), maxChars: 10 })).toMatchObject({
      flagged: true,
      reason: 'too_long',
    });
    const cal = await ok('calibrate', {
      steps: 1000,
      target: 0.95,
      errorRate: 0.01,
      costPerSampleUsd: 0.001,
    });
    expect(cal.k).toBeGreaterThanOrEqual(2);
    expect(cal.expectedCostUsd).toBeCloseTo(cal.expectedSamples * 0.001);
  });

  it('should verify, check, apply and restore in the workspace, and select the candidate the tests prove', async () => {
    const red = await ok('verify', { workspace: fx.repo, argv: TEST });
    expect(red).toMatchObject({ ok: false, exitCode: 1 });
    expect(red.counts).toMatchObject({ passed: 1, failed: 2 });
    expect(await ok('patch_check', { workspace: fx.repo, patch: CAREFUL_PATCH })).toMatchObject({
      ok: true,
      changes: [{ path: 'src/range.js', kind: 'changed' }],
    });
    const applied = await ok('patch_apply', { workspace: fx.repo, patch: CAREFUL_PATCH });
    expect(applied.ok).toBe(true);
    expect((await ok('verify', { workspace: fx.repo, argv: TEST })).ok).toBe(true);
    expect(
      await ok('patch_restore', { workspace: fx.repo, applyId: applied.applyId }),
    ).toMatchObject({ ok: true });
    expect((await ok('verify', { workspace: fx.repo, argv: TEST })).ok).toBe(false);
    const best = await ok('select_best', {
      workspace: fx.repo,
      candidates: [
        { patch: HASTY_PATCH, source: 'hasty' },
        { patch: CAREFUL_PATCH, source: 'careful' },
      ],
      test: TEST,
    });
    expect(best).toMatchObject({ outcome: 'selected', chosen: 'c2' });
    // the user's tree is as it was: the candidates lived in worktrees of their own
    expect((await ok('verify', { workspace: fx.repo, argv: TEST })).ok).toBe(false);
  });

  it('should run the workflow through its gates and give its state, reports, approvals and evidence', async () => {
    const started = await ok('workflow_start', {
      workspace: fx.repo,
      task: 'sumRange in src/range.js gives wrong sums; its tests fail. Fix it.',
      agent: 'lead',
      implementers: ['careful', 'hasty', 'sloppy'],
      test: TEST,
    });
    const mission = started.id as string;
    expect(started.stages).toContain('fix.analyze');
    for (const phase of ['analyze', 'hypothesize', 'implement', 'improve']) {
      let pending: Record<string, any> = {};
      await eventually(async () => {
        pending = await ok('approvals_pending', { mission });
        expect(pending.approvals.map((a: { stage: string }) => a.stage)).toEqual([`fix.${phase}`]);
      }, 20_000);
      const state = await ok('workflow_state', { mission });
      expect(state.waiting).toEqual([pending.approvals[0].id]);
      expect(state.phases.find((p: { stage: string }) => p.stage === `fix.${phase}`).status).toBe(
        'waiting',
      );
      const report = await ok('stage_report', { mission, stage: `fix.${phase}` });
      expect(report).toMatchObject({ status: 'waiting', approval: pending.approvals[0].id });
      expect(report.report.summary, JSON.stringify(report)).toEqual(expect.any(String));
      const answer = await ok('approval_submit', {
        id: pending.approvals[0].id,
        decision: 'approve',
      });
      expect(answer).toMatchObject({
        alreadyAnswered: false,
        approval: { status: 'approved', by: 'mcp' },
      });
      expect(
        (await ok('approval_submit', { id: pending.approvals[0].id, decision: 'approve' }))
          .alreadyAnswered,
      ).toBe(true);
    }
    await eventually(async () => {
      expect((await ok('mission_status', { id: mission })).state).toBe('succeeded');
    }, 20_000);
    const history = await ok('approval_history', { mission });
    expect(history.approvals.map((a: { status: string }) => a.status)).toEqual([
      'approved',
      'approved',
      'approved',
      'approved',
    ]);
    const evidence = await ok('evidence_chain', { mission, limit: 500 });
    const types = evidence.decisions.map((d: { type: string }) => d.type);
    expect(types).toEqual(
      expect.arrayContaining([
        'workflow.candidate',
        'workflow.selection',
        'approval.requested',
        'approval.answered',
        'mission.finished',
      ]),
    );
    expect(evidence.more).toBe(false);
    const selection = evidence.decisions.find(
      (d: { type: string }) => d.type === 'workflow.selection',
    );
    expect(selection.selection ?? selection).toBeDefined();
    const metrics = await ok('metrics', { mission });
    expect(metrics.state).toBe('succeeded');
    // analyze, hypothesize, three implementers, improve
    expect(metrics.phaseCalls, JSON.stringify(metrics)).toBeGreaterThanOrEqual(6);
    const page = await ok('mission_events', { id: mission, limit: 5 });
    expect(page.events).toHaveLength(5);
    expect(page.events[0]).toMatchObject({ seq: 1, type: 'mission.submitted' });
    const next = await ok('mission_events', {
      id: mission,
      afterSeq: page.nextSeq,
      limit: 5,
      types: ['stage.entered'],
    });
    expect(
      next.events.every(
        (e: { type: string; seq: number }) => e.type === 'stage.entered' && e.seq > 5,
      ),
    ).toBe(true);
    expect(await ok('stage_report', { mission, stage: 'fix.analyze' })).toMatchObject({
      status: 'done',
    });
    // the patch the tests proved is in the user's tree
    expect((await ok('verify', { workspace: fx.repo, argv: TEST })).ok).toBe(true);
  });

  it('should run, read and stop missions by file or inline text', async () => {
    const hello = await ok('mission_run', { path: `${fx.root}/hello.yaml` });
    await eventually(async () => {
      expect((await ok('mission_status', { id: hello.id })).state).toBe('succeeded');
    }, 20_000);
    const status = await ok('mission_status', { id: hello.id });
    expect(status.done.map((d: { name: string }) => d.name)).toEqual(['draft', 'polish']);
    const gated = await ok('mission_run', {
      yaml: 'name: inline\nproviders: {p: {kind: scripted, responses: [a plan]}}\nagents: [{id: a, provider: p}]\nstages: [{name: plan, prompt: plan it, agents: [a], approval: {}}]\n',
    });
    await eventually(async () => {
      expect((await ok('approvals_pending', { mission: gated.id })).approvals).toHaveLength(1);
    }, 20_000);
    expect((await ok('mission_stop', { id: gated.id, reason: 'test' })).id).toBe(gated.id);
    await eventually(async () => {
      expect((await ok('mission_status', { id: gated.id })).state).toBe('stopped');
    }, 20_000);
  });

  it('should classify a task, choose its architecture and read the recorded outcomes', async () => {
    const c = await ok('classify_task', { features: { decomposability: 0.2 } });
    expect(c.features).toEqual({
      decomposability: 0.2,
      sequentialDependency: 0.5,
      toolComplexity: 0.5,
    });
    expect(c.defaulted).toEqual(['sequentialDependency', 'toolComplexity']);
    const s = await ok('select_architecture', {
      stage: 'implement',
      features: { decomposability: 0.9, sequentialDependency: 0.1 },
    });
    expect(s.topology).toEqual(expect.any(String));
    expect(s.reason).toEqual(expect.any(String));
    const stats = await ok('arch_stats', {});
    // the workflow above recorded its phases' outcomes in the state dir
    expect(stats.rows.length).toBeGreaterThan(0);
  });

  it('should have called every tool with valid arguments', () => {
    expect([...called].sort()).toEqual(fx.open.tools.map((t) => t.name).sort());
  });

  it('should refuse invalid arguments of every tool with an isError result naming the field', async () => {
    const wrong: Record<string, [Record<string, unknown>, string]> = {
      consult: [
        { agent: 5, prompt: 'x' },
        'consult arguments agent: expected string, received number',
      ],
      ensemble: [
        { agents: [], prompt: 'x' },
        'ensemble arguments agents: expected at least 1 item',
      ],
      select_best: [
        { workspace: fx.repo, candidates: [] },
        'select_best arguments candidates: expected at least 1 item',
      ],
      vote: [{ agent: 'sure', prompt: 'q', k: 0 }, 'vote arguments k: expected at least 1'],
      red_flag_check: [
        { text: 1 },
        'red_flag_check arguments text: expected string, received number',
      ],
      calibrate: [
        { steps: 10, target: 1.5, errorRate: 0.1 },
        'calibrate arguments target: expected less than 1',
      ],
      verify: [
        { workspace: fx.repo, argv: [] },
        'verify arguments argv: expected the command as argv',
      ],
      patch_check: [{ workspace: fx.repo }, 'patch_check arguments patch: required'],
      patch_apply: [
        { workspace: fx.repo, patch: 'x', format: 'git' },
        'patch_apply arguments format: expected one of',
      ],
      patch_restore: [{ workspace: fx.repo }, 'patch_restore arguments applyId: required'],
      workflow_start: [
        { workspace: fx.repo, task: 't', agent: 'lead' },
        'workflow_start arguments test: required',
      ],
      workflow_state: [{}, 'workflow_state arguments mission: required'],
      stage_report: [{ mission: 'm' }, 'stage_report arguments stage: required'],
      approvals_pending: [{ mission: 3 }, 'approvals_pending arguments mission: expected string'],
      approval_submit: [
        { id: 'm/s/1', decision: 'maybe' },
        "approval_submit arguments decision: expected one of 'approve' | 'reject'",
      ],
      approval_history: [
        { mission: '' },
        'approval_history arguments mission: expected at least 1 character',
      ],
      mission_run: [{}, 'mission_run arguments path: expected path or yaml (one of them)'],
      mission_status: [{ id: null }, 'mission_status arguments id: expected string, received null'],
      mission_events: [
        { id: 'm', limit: 5000 },
        'mission_events arguments limit: expected at most 500',
      ],
      mission_stop: [{ id: 'm', reason: 7 }, 'mission_stop arguments reason: expected string'],
      classify_task: [
        { features: { decomposability: 2 } },
        'classify_task arguments features.decomposability: expected at most 1',
      ],
      select_architecture: [
        { stage: 'deploy', features: {} },
        'select_architecture arguments stage: expected one of',
      ],
      arch_stats: [{ family: 1 }, 'arch_stats arguments family: expected string'],
      evidence_chain: [
        { mission: 'm', afterSeq: -1 },
        'evidence_chain arguments afterSeq: expected at least 0',
      ],
      metrics: [{ mission: 'm', extra: true }, 'metrics arguments extra: unknown key'],
    };
    expect(Object.keys(wrong).sort()).toEqual(fx.open.tools.map((t) => t.name).sort());
    for (const [name, [args, message]] of Object.entries(wrong))
      expect(await callError(client, name, args), name).toContain(message);
    // and the server keeps serving
    expect(
      (await callOk(client, 'calibrate', { steps: 10, target: 0.9, errorRate: 0.1 })).k,
    ).toBeGreaterThan(0);
  });
});
