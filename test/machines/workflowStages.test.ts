/**
 * A workflow stage as the mission runs it: one stage per phase in the workflow's order, `apply`
 * right after the last phase that can choose a patch, gates as configured; the gate skipped only
 * for a phase that said it had nothing to review; and the file's rules for a workflow stage.
 */
import { describe, expect, it } from 'vitest';
import { missionSchema, type MissionConfigInput } from '../../config/mission.js';
import { gateWanted, missionStages, stageAgents } from '../../machines/workflowStages.js';

const base = {
  name: 'wf',
  providers: { p: { kind: 'scripted', responses: ['x'] } },
  agents: [
    { id: 'lead', provider: 'p' },
    { id: 'impl', provider: 'p' },
  ],
  workspace: { path: '/tmp', verify: { test: { argv: ['node', '--test'] } } },
} satisfies Partial<MissionConfigInput>;

function stagesOf(workflow: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return missionSchema.parse({
    ...base,
    stages: [{ name: 'fix', workflow: { task: 't', agent: 'lead', ...workflow }, ...extra }],
  });
}

describe('workflow stages', () => {
  it('should expand into its phases in order, apply after debug, each gated by default', () => {
    const stages = missionStages(stagesOf({ implementers: ['impl'] }));
    expect(stages.map((s) => [s.name, s.approval !== undefined])).toEqual([
      ['fix.analyze', true],
      ['fix.hypothesize', true],
      ['fix.implement', true],
      ['fix.debug', true],
      ['fix.apply', false],
      ['fix.improve', true],
    ]);
    expect(stageAgents(stages[2]!)).toEqual(['impl']);
    expect(stageAgents(stages[4]!)).toEqual([]);
    expect(stageAgents(stages[0]!)).toEqual(['lead']);
  });

  it('should run only the phases asked, in the workflow order, with apply after implement', () => {
    const config = stagesOf({ phases: ['implement', 'analyze'], gates: { analyze: false } });
    expect(missionStages(config).map((s) => [s.name, s.approval !== undefined])).toEqual([
      ['fix.analyze', false],
      ['fix.implement', true],
      ['fix.apply', false],
    ]);
    // the same config object, the same stages (a resume expands the logged config alike)
    expect(missionStages(config)).toBe(missionStages(config));
  });

  it('should have no apply without a phase that chooses a patch, and no gates with gates: false', () => {
    const stages = missionStages(stagesOf({ phases: ['analyze', 'hypothesize'], gates: false }));
    expect(stages.map((s) => [s.name, s.approval])).toEqual([
      ['fix.analyze', undefined],
      ['fix.hypothesize', undefined],
    ]);
  });

  it('should skip the gate only of a phase whose output says gate: false', () => {
    const [analyze] = missionStages(stagesOf({}));
    expect(
      gateWanted(analyze!, JSON.stringify({ workflow: 'fix', step: 'debug', gate: false })),
    ).toBe(false);
    expect(gateWanted(analyze!, JSON.stringify({ workflow: 'fix', step: 'analyze' }))).toBe(true);
    expect(gateWanted(analyze!, 'not json')).toBe(true);
    const plain = missionSchema.parse({
      ...base,
      stages: [{ name: 's', prompt: 'p', agents: ['lead'], approval: true }],
    }).stages[0]!;
    // a plain stage's output is never read for a gate: a model's `"gate": false` changes nothing
    expect(gateWanted(plain, '{"gate": false}')).toBe(true);
  });

  it.each([
    [
      'a prompt beside the workflow',
      { workflow: { task: 't', agent: 'lead' }, prompt: 'p' },
      base.workspace,
      ['stages.0.workflow', 'a workflow stage takes no prompt (its phases make the prompts)'],
    ],
    [
      "the stage's own approval",
      { workflow: { task: 't', agent: 'lead' }, approval: true },
      base.workspace,
      [
        'stages.0.approval',
        'a workflow gates each phase itself: set workflow.gates and workflow.approval',
      ],
    ],
    [
      'an unknown implementer',
      { workflow: { task: 't', agent: 'lead', implementers: ['ghost'] } },
      base.workspace,
      ['stages.0.workflow.implementers.0', "unknown agent 'ghost' (known: lead, impl)"],
    ],
    [
      'no workspace',
      { workflow: { task: 't', agent: 'lead' } },
      undefined,
      [
        'stages.0.workflow',
        "a workflow needs the mission's workspace: add workspace: {path, verify: {test: [...]}}",
      ],
    ],
    [
      'a workspace without tests',
      { workflow: { task: 't', agent: 'lead' } },
      { path: '/tmp' },
      [
        'stages.0.workflow',
        'a workflow needs workspace.verify.test: the tests are what choose a candidate',
      ],
    ],
    [
      'an unknown placeholder in the task',
      { workflow: { task: 'fix {{bug}}', agent: 'lead' } },
      base.workspace,
      ['stages.0.workflow.task', "unknown placeholder '{{bug}}' (known: {{input}})"],
    ],
  ])('should refuse %s, at its path', (_what, stage, workspace, expected) => {
    const r = missionSchema.safeParse({
      ...base,
      workspace,
      stages: [{ name: 'fix', ...stage }],
    });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => [i.path.join('.'), i.message])).toEqual([expected]);
  });
});
