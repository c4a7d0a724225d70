/**
 * The daemon survives what a daemon meets: SIGKILL in the middle of a stage or of a MAKER run, a
 * crash while an approval waits, SIGTERM, a second daemon on its state directory, a stale lock,
 * a log torn mid-line. Each test runs real `maestro daemon` processes (test/helpers/daemonProcess)
 * on its own temporary state directory, and judges by the mission's event log and the API.
 */
import { execFile, spawnSync } from 'node:child_process';
import type { LooseEvent } from '../helpers/looseEvent.js';
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it, onTestFinished } from 'vitest';
import { EventLog } from '../../log/eventLog.js';
import type { DaemonClient } from '../../daemon/daemonClient.js';
import type { MissionStatus } from '../../daemon/daemonApi.js';
import { spawnDaemon, startDaemon } from '../helpers/daemonProcess.js';
import { eventually } from '../helpers/eventually.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const fixture = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const STAGES = 'test/fixtures/missions/daemon-stages.yaml';
const HANOI = 'test/fixtures/missions/daemon-hanoi.yaml';
const APPROVAL = 'examples/approval.yaml';
/** The third stage's answer in daemon-stages.yaml: the mission's result. */
const STAGES_RESULT =
  'Final: after a crash the mission resumes at the stage it was in; no stage runs twice.';
/** How long anything may take on a slow, shared machine. */
const PATIENCE = 20_000;

function stateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'maestro-daemon-crash-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true, maxRetries: 5 }));
  return dir;
}

function submit(client: DaemonClient, file: string, id: string) {
  return client.submit({ source: fixture(file), filename: file, id });
}

/** The mission's log as it is on disk now (a torn last line is skipped). */
function readLog(dir: string, id: string): LooseEvent[] {
  const file = EventLog.pathFor(dir, id);
  return existsSync(file) ? EventLog.read(file) : [];
}

/** This environment without the MAESTRO_ variables that would point the CLI at another daemon. */
function cliEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MAESTRO_')));
}

const ofType = (events: LooseEvent[], type: string) => events.filter((e) => e.type === type);

async function waitForLog(
  dir: string,
  id: string,
  found: (events: LooseEvent[]) => boolean,
  what: string,
): Promise<void> {
  await eventually(() => {
    if (!found(readLog(dir, id))) throw new Error(`mission '${id}': no ${what} in its log yet`);
  }, PATIENCE);
}

async function waitUntilOver(client: DaemonClient, id: string): Promise<MissionStatus> {
  let status: MissionStatus | undefined;
  await eventually(async () => {
    status = await client.status(id);
    expect(['succeeded', 'failed', 'stopped']).toContain(status.state);
  }, PATIENCE);
  return status!;
}

/** Steps decided so far by the MAKER run of a log: its last snapshot, or the last decided vote after it. */
function decidedSteps(events: LooseEvent[]): number {
  let steps = 0;
  for (const e of events) {
    if (e.type === 'maker.snapshot') steps = Math.max(steps, e.step as number);
    if (e.type === 'maker.vote' && e.outcome === 'decided')
      steps = Math.max(steps, (e.step as number) + 1);
  }
  return steps;
}

const decidedVoteSteps = (events: LooseEvent[]) =>
  ofType(events, 'maker.vote')
    .filter((e) => e.outcome === 'decided')
    .map((e) => e.step as number);

const stageIndexes = (events: LooseEvent[]) =>
  ofType(events, 'stage.finished')
    .map((e) => e.index as number)
    .sort();

describe('maestro daemon after a crash', () => {
  it('resumes a multi-stage mission killed after its first stage, and no stage runs twice', async () => {
    const dir = stateDir();
    const d1 = await startDaemon({ stateDir: dir });
    await submit(d1.client, STAGES, 'uninterrupted');
    const reference = await waitUntilOver(d1.client, 'uninterrupted');
    expect(reference.state).toBe('succeeded');

    await submit(d1.client, STAGES, 'killed');
    await waitForLog(
      dir,
      'killed',
      (es) => ofType(es, 'stage.finished').length > 0,
      'stage.finished',
    );
    expect(await d1.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    const atKill = readLog(dir, 'killed');
    expect(stageIndexes(atKill)).toEqual([0]); // killed in the middle, not after the end
    expect(ofType(atKill, 'mission.finished')).toEqual([]);

    const d2 = await startDaemon({ stateDir: dir });
    const resumed = await waitUntilOver(d2.client, 'killed');
    expect(resumed.state).toBe('succeeded');
    expect(resumed.result).toBe(reference.result);
    expect(resumed.result).toBe(STAGES_RESULT);
    expect(resumed.done).toEqual(reference.done);

    const events = readLog(dir, 'killed');
    expect(stageIndexes(events)).toEqual([0, 1, 2]);
    expect(ofType(events, 'mission.resumed')).toHaveLength(1);
    const outlinerCalls = ofType(events, 'agent.call').filter(
      (e) => e.agent === 'outliner' && e.ok === true,
    );
    expect(outlinerCalls).toHaveLength(1);
    expect(ofType(events, 'mission.finished').map((e) => e.status)).toEqual(['succeeded']);
  }, 60_000);

  it('resumes a MAKER run killed in its middle at the step it was at, deciding no step twice', async () => {
    const dir = stateDir();
    const d1 = await startDaemon({ stateDir: dir });
    await submit(d1.client, HANOI, 'hanoi');
    await waitForLog(dir, 'hanoi', (es) => decidedSteps(es) >= 100, '100 decided steps');
    await d1.kill('SIGKILL');
    const atKill = readLog(dir, 'hanoi');
    const stepsAtKill = decidedSteps(atKill);
    const lastSeq = atKill.at(-1)!.seq;
    expect(stepsAtKill).toBeLessThan(255);
    expect(ofType(atKill, 'mission.finished')).toEqual([]);

    // Everything the restarted daemon writes, read from its event stream before the next
    // snapshot compacts the votes away (the stream is checked for gaps below).
    const d2 = await startDaemon({ stateDir: dir });
    const after: LooseEvent[] = [];
    await d2.client.events('hanoi', lastSeq, (e) => after.push(e));
    expect(
      after.map((e) => e.seq),
      'the stream after the restart has a gap: a compaction came before it was read',
    ).toEqual(after.map((_, i) => lastSeq + 1 + i));
    expect(after[0]!.type).toBe('mission.resumed');

    // The restarted run decides the steps from the one the log had reached, each once.
    const stepsAfter = decidedVoteSteps(after);
    expect(stepsAfter).toEqual(
      Array.from({ length: 255 - stepsAtKill }, (_, i) => stepsAtKill + i),
    );

    const status = await d2.client.status('hanoi');
    expect(status.state).toBe('succeeded');
    expect(JSON.parse(status.result!)).toEqual({
      steps: 255,
      state: { pegs: [[], [], [8, 7, 6, 5, 4, 3, 2, 1]] },
    });
    const events = readLog(dir, 'hanoi');
    const decided = decidedVoteSteps(events);
    expect(new Set(decided).size).toBe(decided.length);
    expect(ofType(events, 'mission.resumed')).toHaveLength(1);
  }, 60_000);

  it('keeps an approval that was waiting when the daemon was killed, and answering it twice changes nothing', async () => {
    const dir = stateDir();
    const d1 = await startDaemon({ stateDir: dir });
    await submit(d1.client, APPROVAL, 'gated');
    await eventually(
      async () => expect((await d1.client.approvals()).map((a) => a.id)).toEqual(['gated/plan/1']),
      PATIENCE,
    );
    await d1.kill('SIGKILL');

    const d2 = await startDaemon({ stateDir: dir });
    const [waiting] = await d2.client.approvals();
    expect(waiting).toMatchObject({
      id: 'gated/plan/1',
      mission: 'gated',
      stage: 'plan',
      status: 'pending',
    });
    expect((await d2.client.status('gated')).state).toBe('awaiting_approval');

    const cli = await promisify(execFile)(
      process.execPath,
      ['cli/dev.js', 'approve', 'gated/plan/1', '--state-dir', dir],
      { cwd: ROOT, env: cliEnv() },
    );
    expect(cli.stdout.trim()).toBe('approved gated/plan/1');

    const done = await waitUntilOver(d2.client, 'gated');
    expect(done.state).toBe('succeeded');
    expect(done.result).toBe('Done: /health added, test passing.');

    const again = await d2.client.answer('gated/plan/1', {
      decision: 'reject',
      feedback: 'too late',
    });
    expect(again.alreadyAnswered).toBe(true);
    expect(again.approval).toMatchObject({ status: 'approved', by: 'api' });
    expect(again.approval.feedback).toBeUndefined();
    expect(await d2.client.approvals()).toEqual([]);
    const events = readLog(dir, 'gated');
    expect(ofType(events, 'approval.requested')).toHaveLength(1);
    expect(ofType(events, 'approval.answered')).toMatchObject([
      { id: 'gated/plan/1', decision: 'approve' },
    ]);
    expect(stageIndexes(events)).toEqual([0, 1]);
  }, 60_000);

  it('on SIGTERM suspends the running mission and exits 0, and the next daemon finishes it', async () => {
    const dir = stateDir();
    const d1 = await startDaemon({ stateDir: dir });
    await submit(d1.client, STAGES, 'paused');
    await waitForLog(
      dir,
      'paused',
      (es) => ofType(es, 'stage.finished').length > 0,
      'stage.finished',
    );
    const sent = Date.now();
    expect(await d1.kill('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(Date.now() - sent).toBeLessThan(10_000);
    expect(d1.stderr()).toContain('maestro daemon: stopped');
    expect(readLog(dir, 'paused').at(-1)!.type).toBe('mission.suspended');
    expect(existsSync(join(dir, 'daemon.json'))).toBe(false);
    expect(existsSync(join(dir, 'daemon.lock'))).toBe(false);

    const d2 = await startDaemon({ stateDir: dir });
    const done = await waitUntilOver(d2.client, 'paused');
    expect(done.state).toBe('succeeded');
    expect(done.result).toBe(STAGES_RESULT);
    expect(stageIndexes(readLog(dir, 'paused'))).toEqual([0, 1, 2]);
  }, 60_000);

  it('refuses a second daemon on a state directory in use, and takes over a lock whose owner is dead', async () => {
    const dir = stateDir();
    const d1 = await startDaemon({ stateDir: dir });
    const second = spawnDaemon({ stateDir: dir });
    expect(await second.exited).toEqual({ code: 2, signal: null });
    expect(second.stderr()).toContain(
      `maestro: state directory '${dir}' is in use by maestro pid ${d1.pid} on ${hostname()}`,
    );
    expect(JSON.parse(readFileSync(join(dir, 'daemon.json'), 'utf8')).pid).toBe(d1.pid);
    expect(await d1.client.list()).toEqual([]); // the first one serves on
    expect(await d1.kill('SIGTERM')).toMatchObject({ code: 0 });

    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    writeFileSync(
      join(dir, 'daemon.lock'),
      JSON.stringify({ pid: dead, host: hostname(), startedAt: new Date(0).toISOString() }),
    );
    const d3 = await startDaemon({ stateDir: dir });
    expect(JSON.parse(readFileSync(join(dir, 'daemon.lock'), 'utf8'))).toMatchObject({
      pid: d3.pid,
      host: hostname(),
    });
    expect(await d3.client.list()).toEqual([]);
  }, 60_000);

  it('resumes a suspended mission whose log ends in a torn line', async () => {
    const dir = stateDir();
    const d1 = await startDaemon({ stateDir: dir });
    await submit(d1.client, STAGES, 'torn');
    await waitForLog(
      dir,
      'torn',
      (es) => ofType(es, 'stage.finished').length > 0,
      'stage.finished',
    );
    expect(await d1.kill('SIGTERM')).toMatchObject({ code: 0 });
    const file = EventLog.pathFor(dir, 'torn');
    const lastSeq = readLog(dir, 'torn').at(-1)!.seq;
    appendFileSync(
      file,
      `{"seq":${lastSeq + 1},"ts":"2026-01-01T00:00:00.000Z","mission":"torn","type":"stage.ent`,
    );

    const d2 = await startDaemon({ stateDir: dir });
    const done = await waitUntilOver(d2.client, 'torn');
    expect(done.state).toBe('succeeded');
    expect(done.result).toBe(STAGES_RESULT);
    // The torn bytes are gone: every line parses, and the sequence numbers go on from the last whole line.
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    const seqs = lines.map((l) => (JSON.parse(l) as LooseEvent).seq);
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    expect(stageIndexes(readLog(dir, 'torn'))).toEqual([0, 1, 2]);
  }, 60_000);
});
