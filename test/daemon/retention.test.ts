/**
 * Retention: finished missions past the policy leave the state directory (deleted, or gzipped
 * into an archive folder), the index is rewritten without them, missions not over never go, and
 * an archive folder that cannot be written stops the prune before anything is removed.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import { Daemon } from '../../daemon/daemon.js';
import { ArchiveNotWritableError, type MissionSummary } from '../../daemon/daemonApi.js';
import { pruneStateDir } from '../../daemon/history.js';
import { expiredMissions, parseRetention, RetentionParseError } from '../../daemon/retention.js';
import { systemClock } from '../../kernel/clock.js';
import { EventLog } from '../../log/eventLog.js';
import { captureIo } from '../helpers/captureIo.js';
import { eventually } from '../helpers/eventually.js';
import { startDaemon } from '../helpers/daemonProcess.js';
import { renamedLog, twoStages } from '../helpers/cutLog.js';
import { runAndRead, tempDir } from '../helpers/missions.js';

const DAY = 86_400_000;
const logger = pino({ level: 'silent' });

/** A state dir of `finished` finished missions and one cut after its first stage (not over). */
async function history(finished: number): Promise<{ stateDir: string; ids: string[] }> {
  const straight = await runAndRead(twoStages);
  const lines = readFileSync(straight.eventLogFile, 'utf8').trim().split('\n');
  const cut = lines.findIndex((l) => l.includes('"type":"stage.finished"')) + 1;
  const stateDir = tempDir();
  mkdirSync(join(stateDir, 'missions'));
  const copy = (id: string, part: string[]) =>
    writeFileSync(EventLog.pathFor(stateDir, id), renamedLog(part, id));
  const ids = Array.from({ length: finished }, (_, i) => `done-${i}`);
  for (const id of ids) copy(id, lines);
  copy('open', lines.slice(0, cut));
  return { stateDir, ids };
}

const summary = (id: string, state: MissionSummary['state'], finishedAt?: string) => ({
  id,
  name: 'x',
  state,
  submittedAt: '2026-01-01T00:00:00.000Z',
  ...(finishedAt && { finishedAt }),
  stages: [],
});

describe('retention policies', () => {
  it('should read an age, a count or forever, and refuse anything else naming what it got', () => {
    expect(parseRetention('7d')).toEqual({ kind: 'age', ms: 7 * DAY, text: '7d' });
    expect(parseRetention('2w')).toMatchObject({ kind: 'age', ms: 14 * DAY });
    expect(parseRetention('30m')).toMatchObject({ kind: 'age', ms: 30 * 60_000 });
    expect(parseRetention('1000')).toEqual({ kind: 'count', keep: 1000, text: '1000' });
    expect(parseRetention('forever').kind).toBe('forever');
    for (const bad of ['3x', '0d', '-1', '', '7 days', '1.5d'])
      expect(() => parseRetention(bad), bad).toThrow(RetentionParseError);
    expect(() => parseRetention('3x')).toThrow("got '3x'");
  });

  it('should let go only finished missions: those ended before the age, or all but the newest N', () => {
    const now = Date.parse('2026-02-01T00:00:00.000Z');
    const all = [
      summary('old', 'succeeded', '2026-01-10T00:00:00.000Z'),
      summary('older', 'failed', '2026-01-05T00:00:00.000Z'),
      summary('new', 'stopped', '2026-01-30T00:00:00.000Z'),
      summary('running', 'running'),
      summary('waiting', 'awaiting_approval'),
    ];
    expect(expiredMissions(all, parseRetention('7d'), now).map((s) => s.id)).toEqual([
      'older',
      'old',
    ]);
    expect(expiredMissions(all, parseRetention('1'), now).map((s) => s.id)).toEqual([
      'older',
      'old',
    ]);
    expect(expiredMissions(all, parseRetention('0'), now).map((s) => s.id)).toEqual([
      'older',
      'old',
      'new',
    ]);
    expect(expiredMissions(all, parseRetention('forever'), now)).toEqual([]);
  });
});

describe('a daemon with a retention policy', () => {
  it('should archive the expired finished missions gzipped after its start, rewrite the index, and keep the one not over', async () => {
    const { stateDir, ids } = await history(5);
    const archiveDir = join(stateDir, 'archive');
    const bytes = new Map(ids.map((id) => [id, readFileSync(EventLog.pathFor(stateDir, id))]));
    // A month later: every finished mission is past 7 days.
    const daemon = new Daemon({
      stateDir,
      logger,
      env: {},
      syncEveryMs: 0,
      clock: { ...systemClock, now: () => Date.now() + 30 * DAY },
      retain: parseRetention('7d'),
      archiveDir,
    });
    try {
      const started = daemon.start();
      expect(started.resumed).toEqual(['open']);
      expect(daemon.list().map((m) => m.id)).toEqual(['open']);
      for (const id of ids) {
        expect(existsSync(EventLog.pathFor(stateDir, id))).toBe(false);
        expect(gunzipSync(readFileSync(join(archiveDir, `${id}.jsonl.gz`)))).toEqual(bytes.get(id));
      }
      expect(existsSync(EventLog.pathFor(stateDir, 'open'))).toBe(true);
      const index = readFileSync(join(stateDir, 'index.jsonl'), 'utf8').trim().split('\n');
      expect(index.map((l) => JSON.parse(l))).toEqual([
        expect.objectContaining({ pruned: 5, retain: '7d', to: archiveDir }),
      ]);
      // Asked again: nothing more to take.
      expect((await daemon.prune({})).pruned).toEqual([]);
    } finally {
      await daemon.shutdown();
    }
  });

  it('should prune nothing, with a typed error, when the archive folder cannot be written', async () => {
    const { stateDir, ids } = await history(3);
    const file = join(stateDir, 'a-file');
    writeFileSync(file, 'not a folder');
    const daemon = new Daemon({
      stateDir,
      logger,
      env: {},
      syncEveryMs: 0,
      archiveDir: join(file, 'archive'),
    });
    try {
      daemon.start();
      const before = readFileSync(join(stateDir, 'index.jsonl'), 'utf8');
      await expect(daemon.prune({ retain: '0' })).rejects.toBeInstanceOf(ArchiveNotWritableError);
      for (const id of ids) expect(existsSync(EventLog.pathFor(stateDir, id))).toBe(true);
      expect(readFileSync(join(stateDir, 'index.jsonl'), 'utf8')).toBe(before);
      expect(daemon.list()).toHaveLength(4);
    } finally {
      await daemon.shutdown();
    }
  });
});

describe('maestro history prune', () => {
  it('should prune a state directory with no daemon, index it once, and say what went', async () => {
    const { stateDir, ids } = await history(4);
    const dry = pruneStateDir(stateDir, { retention: parseRetention('1'), dryRun: true, logger });
    expect(dry.pruned).toHaveLength(3);
    expect(readdirSync(join(stateDir, 'missions'))).toHaveLength(5);
    const io = captureIo();
    expect(await main(['history', 'prune', '--state-dir', stateDir, '--retain', '1'], io)).toBe(0);
    expect(io.stdout.join('\n')).toMatch(
      /^maestro history: pruned 3 finished mission\(s\) beyond the newest 1 \(.+\): deleted, [\d.]+ KiB of logs$/,
    );
    const left = readdirSync(join(stateDir, 'missions')).sort();
    expect(left).toHaveLength(2);
    expect(left).toContain('open.jsonl');
    expect(ids.filter((id) => left.includes(`${id}.jsonl`))).toHaveLength(1);
  });

  it('should exit 2 naming --retain when it does not parse, for the command and for the daemon', async () => {
    const io = captureIo();
    expect(await main(['history', 'prune', '--state-dir', tempDir(), '--retain', 'soon'], io)).toBe(
      2,
    );
    expect(io.stderr[0]).toContain('--retain: expected an age (30m, 12h, 7d, 2w)');
    expect(io.stderr[0]).toContain("got 'soon'");
    const daemonIo = captureIo();
    expect(await main(['daemon', '--state-dir', tempDir(), '--retain', '5y'], daemonIo)).toBe(2);
    expect(daemonIo.stderr[0]).toContain('--retain: expected an age');
  });

  it('should ask the running daemon to prune, through its API, when the daemon holds the directory', async () => {
    const { stateDir } = await history(3);
    const d = await startDaemon({ stateDir });
    // The one not over resumes and ends: the newest finished mission, the one kept.
    await eventually(async () => expect((await d.client.status('open')).state).toBe('succeeded'));
    const io = captureIo();
    expect(
      await main(['history', 'prune', '--state-dir', stateDir, '--retain', '1', '--json'], io),
    ).toBe(0);
    const result = JSON.parse(io.stdout.join('\n'));
    expect(result).toMatchObject({ to: 'deleted', retain: '1', dryRun: false });
    expect(result.pruned).toHaveLength(3);
    expect((await d.client.list()).map((m) => m.id)).toEqual(['open']);
    const refused = captureIo();
    expect(
      await main(['history', 'prune', '--state-dir', stateDir, '--archive', tempDir()], refused),
    ).toBe(2);
    expect(refused.stderr[0]).toContain('--archive: the daemon running on');
  });
});
