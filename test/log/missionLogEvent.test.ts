import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventLog } from '../../log/eventLog.js';
import { recoverMission } from '../../log/missionRecovery.js';
import { LOG_FORMAT, parseLogLine } from '../../log/missionLogEvent.js';
import { tempDir } from '../helpers/missions.js';

const FIXTURES = 'test/fixtures/logs';
const line = (fields: Record<string, unknown>) =>
  JSON.stringify({ seq: 1, ts: '2026-01-01T00:00:00.000Z', mission: 'm', ...fields });

describe('the typed mission log (parseLogLine)', () => {
  it('should read every line of every fixture log written by earlier releases', () => {
    const refused: string[] = [];
    for (const f of readdirSync(FIXTURES)) {
      const lines = readFileSync(join(FIXTURES, f), 'utf8').split('\n');
      lines.forEach((l, i) => {
        if (l.trim() === '' || (f === 'crash-01fedfe.jsonl' && i === lines.length - 1)) return;
        const e = parseLogLine(l);
        if (typeof e === 'string') refused.push(`${f}:${i + 1}: ${e}`);
      });
    }
    expect(refused).toEqual([]);
  });

  it('should name the event type and the field that fails its schema', () => {
    expect(parseLogLine(line({ type: 'stage.finished', stage: 's', index: 'one' }))).toBe(
      'stage.finished: index: Invalid input: expected number, received string',
    );
    expect(parseLogLine(line({ type: 'approval.answered', id: 'a', decision: 'maybe' }))).toMatch(
      /^approval\.answered: decision: /,
    );
  });

  it('should refuse an unknown type and a format newer than it reads, and take format 1 (no v)', () => {
    expect(parseLogLine(line({ type: 'stage.exploded' }))).toBe(
      "unknown event type 'stage.exploded'",
    );
    expect(parseLogLine(line({ v: LOG_FORMAT + 1, type: 'mission.started' }))).toBe(
      `written in log format ${LOG_FORMAT + 1}, newer than this release reads (${LOG_FORMAT})`,
    );
    expect(parseLogLine(line({ type: 'mission.started', name: 'n', stages: [] }))).toEqual({
      seq: 1,
      ts: '2026-01-01T00:00:00.000Z',
      mission: 'm',
      type: 'mission.started',
      name: 'n',
      stages: [],
    });
  });

  it('should write the format on every line and give back the event as appended, fields kept', () => {
    const file = join(tempDir(), 'v.jsonl');
    const log = new EventLog(file, 'm', () => 0).open();
    log.append({ type: 'worker.left', worker: 'w1' });
    log.close();
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ v: LOG_FORMAT });
    writeFileSync(
      file,
      `${readFileSync(file, 'utf8')}${line({ seq: 2, v: 2, type: 'worker.left', worker: 'w2', extra: 1 })}\n`,
    );
    expect(EventLog.read(file)).toEqual([
      { seq: 1, ts: '1970-01-01T00:00:00.000Z', mission: 'm', type: 'worker.left', worker: 'w1' },
      {
        seq: 2,
        ts: '2026-01-01T00:00:00.000Z',
        mission: 'm',
        type: 'worker.left',
        worker: 'w2',
        extra: 1,
      },
    ]);
  });

  it('should report a line that fails its schema with its number on read and in recovery, and fold the rest', () => {
    const file = join(tempDir(), 'bad.jsonl');
    writeFileSync(
      file,
      [
        line({ seq: 1, type: 'mission.submitted', name: 'n', config: {} }),
        line({ seq: 2, type: 'stage.finished', stage: 'a', index: 'zero', output: 'A' }),
        line({ seq: 3, type: 'stage.finished', stage: 'b', index: 1, output: 'B' }),
        '',
      ].join('\n'),
    );
    const corrupt: [number, string][] = [];
    expect(EventLog.read(file, (n, why) => corrupt.push([n, why])).map((e) => e.seq)).toEqual([
      1, 3,
    ]);
    expect(corrupt).toEqual([
      [2, 'stage.finished: index: Invalid input: expected number, received string'],
    ]);
    const r = recoverMission(file, 'm');
    expect(r.corrupt).toEqual([2]);
    expect(r.corruptReasons.get(2)).toBe(corrupt[0]![1]);
    expect(r.stages.map((s) => s.name)).toEqual(['b']);
  });
});
