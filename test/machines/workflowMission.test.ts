/**
 * The coding workflow as a mission, on a real git repository with real bubblewrap: the example
 * of examples/bugfix (three candidates: correct, passes the failing tests but breaks another, a
 * malformed diff) chosen by its tests, every gate answered, the patch applied to the tree; a
 * workflow whose candidates are all red debugged by one agent; one with no passing patch failing
 * without touching the tree; and a resume after a kill in implement that does not ask its
 * implementers again.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { recordOutcome } from '../../actors/coding/archStats.js';
import { loadMissionFile } from '../../config/defineMission.js';
import { missionSchema, type MissionConfig } from '../../config/mission.js';
import { cliProviderSchema } from '../../config/providers.js';
import { planResume } from '../../daemon/missionResume.js';
import { EventLog } from '../../log/eventLog.js';
import { recoverMission } from '../../log/missionRecovery.js';
import type { MissionMachineEvent } from '../../machines/mission.js';
import { runMission, type RunOptions } from '../../runner/runMission.js';
import type { LooseEvent } from '../helpers/looseEvent.js';
import { tempDir } from '../helpers/missions.js';

const logger = pino({ level: 'silent' });
const EXAMPLE = join(import.meta.dirname, '../../examples/bugfix');

/** A fresh copy of the example's repository, as a git repository of its own. */
function demoRepo(): string {
  const dest = join(tempDir('maestro-bugfix-'), 'repo');
  execFileSync(process.execPath, [join(EXAMPLE, 'prepare.mjs'), dest], { stdio: 'ignore' });
  return dest;
}

async function exampleConfig(repo: string): Promise<MissionConfig> {
  return loadMissionFile(join(EXAMPLE, 'mission.yaml'), { env: { BUGFIX_REPO: repo } });
}

function testsPass(repo: string): boolean {
  try {
    execFileSync(process.execPath, ['--test', 'test/'], { cwd: repo, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

type Send = (event: MissionMachineEvent) => void;

/** Runs mission m1, approving every gate as it opens (or answering with `answer`). */
async function run(
  config: MissionConfig,
  options: Partial<RunOptions> & {
    answer?: (
      e: LooseEvent,
    ) => Omit<Extract<MissionMachineEvent, { type: 'gate.answered' }>, 'type' | 'id'>;
  } = {},
) {
  const stateDir = options.stateDir ?? tempDir();
  let send: Send | undefined;
  const { output, eventLogFile } = await runMission(config, {
    stateDir,
    logger,
    missionId: 'm1',
    onStart: (s) => (send = s),
    onEvent: (e) => {
      if (e.type === 'approval.requested')
        queueMicrotask(() =>
          send!({
            type: 'gate.answered',
            id: e.id,
            ...(options.answer?.(e as LooseEvent) ?? { decision: 'approve', by: 'test' }),
          }),
        );
    },
    ...options,
  });
  return { output, stateDir, events: EventLog.read(eventLogFile) as LooseEvent[] };
}

const ofType = (events: LooseEvent[], type: string) => events.filter((e) => e.type === type);

/** A correct fix that is another change than the example's (`i < b + 1`): the two tie. */
const OTHER_FIX = JSON.stringify({
  reasoning: 'loop one further',
  edit: {
    format: 'search_replace',
    text: [
      'src/range.js',
      '<<<<<<< SEARCH',
      '  for (let i = a; i < b; i++) total += i;',
      '=======',
      '  for (let i = a; i < b + 1; i++) total += i;',
      '>>>>>>> REPLACE',
      '',
    ].join('\n'),
  },
});

describe('the coding workflow (examples/bugfix)', () => {
  it('should choose the correct candidate by its tests, gate each phase and apply it to the tree', async () => {
    const repo = demoRepo();
    expect(testsPass(repo)).toBe(false);
    const { output, events, stateDir } = await run(await exampleConfig(repo));
    expect(output.status).toBe('succeeded');
    expect(testsPass(repo)).toBe(true);
    expect(readFileSync(join(repo, 'src/range.js'), 'utf8')).toContain('i <= b');

    const selection = ofType(events, 'workflow.selection')[0]!.selection as {
      outcome: string;
      chosen: string;
      steps: { step: string; dropped: { id: string; why: string }[] }[];
    };
    expect(selection.outcome).toBe('selected');
    expect(selection.chosen).toBe('fix-implement-1-c1');
    const dropped = Object.fromEntries(
      selection.steps.flatMap((s) => s.dropped.map((d) => [d.id, `${s.step}: ${d.why}`])),
    );
    expect(dropped['fix-implement-1-c2']).toMatch(/^tests: tests failed: 1 failed, 2 passed/);
    expect(dropped['fix-implement-1-c3']).toMatch(/^apply: did not apply: hunk_failed/);
    // the gates: every phase that had something to review (debug had nothing: c1 passed)
    expect(ofType(events, 'approval.requested').map((e) => e.stage)).toEqual([
      'fix.analyze',
      'fix.hypothesize',
      'fix.implement',
      'fix.improve',
    ]);
    // no checkout is left behind: each candidate's worktree went once its evidence was taken
    expect(readdirSync(join(stateDir, 'worktrees', 'm1'))).toEqual([]);
    // the tree was written once, as a journaled transaction in the mission's own log
    const applied = ofType(events, 'workspace.applied').filter((e) => e.target === repo);
    expect(applied).toHaveLength(1);
    // the baseline was red, and analyze said so
    const analyzed = JSON.parse(
      ofType(events, 'stage.finished').find((e) => e.stage === 'fix.analyze')!.output as string,
    );
    expect(analyzed.baseline).toMatchObject({ ok: false, passed: 1, failed: 2 });
    // improve's entries are kept for later missions on this repository
    const playbooks = join(stateDir, 'playbooks');
    const kept = readFileSync(
      join(playbooks, execFileSync('ls', [playbooks], { encoding: 'utf8' }).trim()),
      'utf8',
    );
    expect(kept).toContain('inclusive ranges');
    // the architecture: verified candidates from analyze's features (Rule D), and its outcome kept
    expect(ofType(events, 'workflow.architecture')).toMatchObject([
      { stage: 'implement', topology: 'independent', rule: 'D', agents: 3 },
    ]);
    const stats = readFileSync(join(stateDir, 'arch-stats.jsonl'), 'utf8').trim().split('\n');
    expect(stats.map((l) => JSON.parse(l))).toMatchObject([
      { family: 'fix', stage: 'implement', topology: 'independent', success: true },
    ]);
    // with the tokens implement spent, which the overhead rule compares
    expect(JSON.parse(stats[0]!).tokens).toBeGreaterThan(0);
  });

  it('should run one candidate when the task is sequential (Rule B), the first implementer', async () => {
    const repo = demoRepo();
    const config = await exampleConfig(repo);
    const analyst = config.providers.analyst as { responses: string[] };
    analyst.responses[0] = analyst.responses[0]!.replace(
      '"sequentialDependency": 0.3',
      '"sequentialDependency": 0.9',
    );
    const { output, events } = await run(config);
    expect(output.status).toBe('succeeded');
    expect(ofType(events, 'workflow.architecture')).toMatchObject([
      { topology: 'single', rule: 'B', agents: 1 },
    ]);
    expect(ofType(events, 'workflow.candidate').map((e) => e.evidence.id)).toEqual([
      'fix-implement-1-c1',
    ]);
    expect(testsPass(repo)).toBe(true);
  });

  it("should give the next phase what the reviewer wrote with an approval, and a rejection's feedback to the same phase", async () => {
    const repo = demoRepo();
    const config = await exampleConfig(repo);
    // a lead that answers each phase and says, in its report, which reviewer notes its prompt had
    const lead = `
      const p = require('node:fs').readFileSync(0, 'utf8');
      const saw = ['NOTE-A', 'FEEDBACK-H'].filter((n) => p.includes(n)).join(',') || 'none';
      const report = { summary: 'saw ' + saw, findings: [], risks: [], questions: [], next: '' };
      const f = { decomposability: 0.1, sequentialDependency: 0.3, toolComplexity: 0.2 };
      const out = p.includes('forming hypotheses')
        ? { hypotheses: [{ statement: 's', experiment: 'e', cost: 'low' }], report }
        : p.includes('analyzing a bug')
          ? { observations: [{ what: 'w', evidence: 'src/range.js:4' }],
              failure: { reproduce: 'node --test', symptom: 's' }, features: f, report }
          : { entries: [], report };
      process.stdout.write(JSON.stringify(out));`;
    config.providers.analyst = cliProviderSchema.parse({
      kind: 'cli',
      command: process.execPath,
      args: ['-e', lead],
    });
    let hypothesizeAsked = 0;
    const { output, events } = await run(config, {
      answer: (e) => {
        if (e.stage === 'fix.analyze') return { decision: 'approve', feedback: 'NOTE-A', by: 't' };
        if (e.stage === 'fix.hypothesize' && hypothesizeAsked++ === 0)
          return { decision: 'reject', feedback: 'FEEDBACK-H', by: 't' };
        return { decision: 'approve', by: 't' };
      },
    });
    expect(output.status).toBe('succeeded');
    const summaries = ofType(events, 'stage.finished').map((e) => [
      e.stage,
      e.attempt,
      JSON.parse(e.output as string).report.summary,
    ]);
    expect(
      summaries.filter(([stage]) => stage === 'fix.analyze' || stage === 'fix.hypothesize'),
    ).toEqual([
      ['fix.analyze', 1, 'saw none'],
      // the approval's note reaches the next phase, and stays with it on its revision
      ['fix.hypothesize', 1, 'saw NOTE-A'],
      ['fix.hypothesize', 2, 'saw NOTE-A,FEEDBACK-H'],
    ]);
  });

  it('should decide the phases by MAKER voting on what each decides, with vote', async () => {
    const repo = demoRepo();
    const config = await exampleConfig(repo);
    config.stages[0]!.workflow!.vote = { k: 2, maxSamples: 6 };
    const analyst = config.providers.analyst as { responses: string[] };
    const [analysis, hypotheses, improve] = analyst.responses as [string, string, string];
    // another analysis that points elsewhere; and one that words the first otherwise
    const elsewhere = analysis.replace('"src/range.js:4"', '"src/other.js:1"');
    const reworded = analysis.replace('the loop stops before b', 'the loop ends one early');
    analyst.responses = [
      analysis,
      elsewhere,
      reworded,
      analysis,
      hypotheses,
      hypotheses,
      improve,
      improve,
    ];
    const { output, events } = await run(config);
    expect(output.status).toBe('succeeded');
    const phases = ofType(events, 'genius.phase').filter((e) => e.phase === 'workflowAnalyze');
    expect(phases).toHaveLength(1);
    // four samples: the reworded one counts with the first (same evidence, same features)
    expect(phases[0]).toMatchObject({ samples: 4, vote: { k: 2 } });
    expect(JSON.stringify(phases[0]!.output)).toContain('src/range.js:4');
  });

  it.each([
    // one agent: 2 of 5 (under Rule A's 0.45); independent candidates: 1 of 5, amplification 1.33
    ['its errors amplified', [2, 1], [undefined, undefined], /amplification/],
    // as good, but five times the tokens: 400% overhead
    ['its overhead', [2, 2], [100, 500], /overhead/],
  ])(
    "should degrade to one agent when the family's record says several do worse: %s",
    async (_what, [sasOk, masOk], [sasTokens, masTokens], why) => {
      const repo = demoRepo();
      const stateDir = tempDir();
      for (let i = 0; i < 5; i++) {
        const base = { family: 'fix', stage: 'implement' as const, models: ['lead'] };
        recordOutcome(stateDir, {
          ...base,
          topology: 'single',
          success: i < sasOk!,
          ...(sasTokens !== undefined && { tokens: sasTokens }),
        });
        recordOutcome(stateDir, {
          ...base,
          topology: 'independent',
          success: i < masOk!,
          ...(masTokens !== undefined && { tokens: masTokens }),
        });
      }
      const { output, events } = await run(await exampleConfig(repo), { stateDir });
      expect(output.status).toBe('succeeded');
      const [arch] = ofType(events, 'workflow.architecture');
      expect(arch).toMatchObject({ topology: 'single', rule: 'degrade', agents: 1 });
      expect(arch!.reason).toMatch(why);
      expect(ofType(events, 'workflow.candidate')).toHaveLength(1);
    },
  );

  it.each([
    ['a judge', undefined, 'judge'],
    ['a judgment decided by MAKER voting', { vote: { k: 2, maxSamples: 4 } }, 'vote'],
  ])('should let %s settle two different changes that both pass', async (_what, judge, by) => {
    const repo = demoRepo();
    const config = await exampleConfig(repo);
    const wf = config.stages[0]!.workflow!;
    if (judge) wf.judge = judge;
    // the third implementer now writes a correct fix too, another change than the first's
    (config.providers.sloppy as { responses: string[] }).responses = [OTHER_FIX];
    const verdict = JSON.stringify({
      winner: 'fix-implement-1-c3',
      reason: 'b + 1 reads as the bound',
    });
    const analyst = config.providers.analyst as { responses: string[] };
    analyst.responses.splice(2, 0, ...(judge ? [verdict, verdict] : [verdict]));
    const { output, events } = await run(config);
    expect(output.status).toBe('succeeded');
    const selection = ofType(events, 'workflow.selection')[0]!.selection as {
      chosen: string;
      steps: { step: string; note?: string }[];
    };
    expect(selection.chosen).toBe('fix-implement-1-c3');
    expect(selection.steps.at(-1)).toMatchObject({ step: by, note: 'b + 1 reads as the bound' });
    expect(readFileSync(join(repo, 'src/range.js'), 'utf8')).toContain('i < b + 1');
    expect(testsPass(repo)).toBe(true);
  });

  it("should take the first tied candidate, and say why, when the judge's answers are unusable", async () => {
    const repo = demoRepo();
    const config = await exampleConfig(repo);
    (config.providers.sloppy as { responses: string[] }).responses = [OTHER_FIX];
    const analyst = config.providers.analyst as { responses: string[] };
    analyst.responses.splice(2, 0, 'no idea', 'still none', 'nope');
    const { output, events } = await run(config);
    expect(output.status).toBe('succeeded');
    const selection = ofType(events, 'workflow.selection')[0]!.selection as {
      chosen: string;
      steps: { step: string; note?: string }[];
    };
    expect(selection.chosen).toBe('fix-implement-1-c1');
    expect(selection.steps.at(-1)!.note).toMatch(
      /^the judge gave no usable answer .*: the first by id$/,
    );
  });

  it('should take a candidate a coding CLI wrote in its own worktree, confined', async () => {
    const repo = demoRepo();
    const config = await exampleConfig(repo);
    // a coding CLI that edits its cwd (the candidate's worktree) and says what it did
    const edits = [
      "const fs = require('node:fs'); fs.readFileSync(0, 'utf8');",
      "const f = 'src/range.js'; fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace('i < b', 'i <= b'));",
      "process.stdout.write('included b in the loop');",
    ].join(' ');
    config.providers.careful = cliProviderSchema.parse({
      kind: 'cli',
      command: 'node',
      args: ['-e', edits],
    });
    const { output, events } = await run(config);
    expect(output.status).toBe('succeeded');
    expect(testsPass(repo)).toBe(true);
    const tried = ofType(events, 'workflow.candidate').map((e) => e.evidence);
    expect(tried[0]).toMatchObject({
      id: 'fix-implement-1-c1',
      source: 'cli/careful',
      apply: { ok: true, stats: { files: 1, added: 1, removed: 1 } },
      test: { ok: true, passed: 3 },
    });
    expect(ofType(events, 'workflow.selection')[0]!.selection).toMatchObject({
      outcome: 'selected',
      chosen: 'fix-implement-1-c1',
    });
  });

  it('should debug with one agent when every candidate is red, then apply its fix', async () => {
    const repo = demoRepo();
    const config = await exampleConfig(repo);
    const analyst = config.providers.analyst as { responses: string[] };
    const careful = config.providers.careful as { responses: string[] };
    const correct = JSON.parse(careful.responses[0]!).edit;
    // careful now overfits too; the lead's debug step gives the real fix
    careful.responses = [(config.providers.hasty as { responses: string[] }).responses[0]!];
    analyst.responses.splice(
      2,
      0,
      JSON.stringify({
        label: 'assertion',
        experiment:
          'the empty range breaks when b is added at the end: include b in the loop instead',
        fix: { reasoning: 'include b in the loop', edit: correct },
        report: {
          summary: 'include the bound in the loop',
          findings: [],
          risks: [],
          questions: [],
          next: 'apply',
        },
      }),
    );
    const { output, events } = await run(config);
    expect(output.status).toBe('succeeded');
    expect(testsPass(repo)).toBe(true);
    expect(ofType(events, 'workflow.selection')[0]!.selection).toMatchObject({
      outcome: 'none_pass',
    });
    const debug = JSON.parse(
      ofType(events, 'stage.finished').find((e) => e.stage === 'fix.debug')!.output as string,
    );
    expect(debug.debug.outcome).toBe('fixed');
    expect(debug.chosen).toMatchObject({ candidate: 'fix-debug-1-d1', from: 'debug' });
    expect(ofType(events, 'approval.requested').map((e) => e.stage)).toContain('fix.debug');
  });

  it('should fail without touching the tree when no patch passes and no gate can ask', async () => {
    const repo = demoRepo();
    const config = await exampleConfig(repo);
    const careful = config.providers.careful as { responses: string[] };
    careful.responses = [(config.providers.hasty as { responses: string[] }).responses[0]!];
    const wf = config.stages[0]!.workflow!;
    wf.gates = false;
    wf.phases = ['analyze', 'implement'];
    const before = readFileSync(join(repo, 'src/range.js'), 'utf8');
    const { output, events } = await run(config);
    expect(output.status).toBe('failed');
    expect(output.error?.message).toMatch(/no patch passed its tests: nothing was applied/);
    expect(readFileSync(join(repo, 'src/range.js'), 'utf8')).toBe(before);
    expect(ofType(events, 'approval.requested')).toEqual([]);
    expect(ofType(events, 'workspace.applied').filter((e) => e.target === repo)).toEqual([]);
  });

  it('should drop a candidate that touches a blocked path, with the reason, and write nothing there', async () => {
    const repo = demoRepo();
    const config = await exampleConfig(repo);
    (config.providers.sloppy as { responses: string[] }).responses = [
      JSON.stringify({
        reasoning: 'configure it',
        edit: { format: 'whole_file', files: [{ path: '.env', content: 'KEY=stolen' }] },
      }),
    ];
    const { output, events } = await run(config);
    expect(output.status).toBe('succeeded');
    const blocked = ofType(events, 'workflow.candidate').find(
      (e) => e.evidence.id === 'fix-implement-1-c3',
    )!.evidence;
    expect(blocked.apply).toMatchObject({ ok: false, reason: 'path_refused' });
    expect(blocked.apply.detail).toContain('.env');
    expect(readdirSync(repo)).not.toContain('.env');
  });

  it.each([
    ['analyze', ['analyze', 'implement']],
    ['implement, when analyze is not run', ['implement']],
  ])('should fail at %s, saying so, when the tests cannot run at all', async (_at, phases) => {
    const repo = demoRepo();
    const config = await exampleConfig(repo);
    config.workspace!.verify.test!.argv = ['no-such-test-runner', 'test/'];
    const wf = config.stages[0]!.workflow!;
    wf.phases = phases as typeof wf.phases;
    wf.gates = false;
    const { output, events } = await run(config);
    expect(output.status).toBe('failed');
    expect(output.error?.message).toMatch(
      /the workspace's test command 'no-such-test-runner' is not found in the sandbox/,
    );
    expect(ofType(events, 'workflow.candidate')).toEqual([]);
  });

  it('should resume a kill in implement without asking its implementers again', async () => {
    const repo = demoRepo();
    const config = await exampleConfig(repo);
    const first = await run(config);
    expect(first.output.status).toBe('succeeded');
    // the log as a kill -9 left it: cut after the selection, before implement's stage.finished
    const cut = first.events.findIndex((e) => e.type === 'workflow.selection');
    const stateDir = tempDir();
    const file = EventLog.pathFor(stateDir, 'm1');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(
      file,
      first.events
        .slice(0, cut + 1)
        .map((e) => `${JSON.stringify(e)}\n`)
        .join(''),
    );
    execFileSync('git', ['checkout', '--', '.'], { cwd: repo }); // the tree as it was then
    const recovered = recoverMission(file, 'm1');
    const logged = missionSchema.parse(recovered.submitted!.config);
    const again = await run(logged, {
      stateDir,
      resume: planResume(recovered, logged),
      keySalt: recovered.submitted!.keySalt,
    });
    expect(again.output.status).toBe('succeeded');
    expect(testsPass(repo)).toBe(true);
    const asked = (events: LooseEvent[]) =>
      ofType(events, 'genius.phase').filter((e) => e.phase === 'workflowImplement').length;
    expect(asked(first.events)).toBe(3);
    // the three answers came back from the log: no implementer was asked a second time
    expect(asked(again.events)).toBe(3);
    expect(ofType(again.events, 'workflow.selection')).toHaveLength(2);
  });
});
