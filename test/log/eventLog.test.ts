import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { parseLogEnvelope } from '../../log/missionLogEvent.js';
import { raw } from '../helpers/looseEvent.js';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventLog } from '../../log/eventLog.js';
import { registerSecret } from '../../kernel/secrets.js';
import { tempDir } from '../helpers/missions.js';

describe('event log (JSONL)', () => {
  it('should append numbered, timestamped events to one file per mission and read them back', () => {
    const dir = tempDir();
    const file = EventLog.pathFor(dir, 'm9');
    expect(file).toBe(join(dir, 'missions', 'm9.jsonl'));
    const log = new EventLog(file, 'm9', () => 0).open();
    const seen: string[] = [];
    log.onEvent((e) => seen.push(e.type));
    log.append(raw({ type: 'mission.started' }));
    log.append(raw({ type: 'stage.entered', stage: 's' }));
    log.close();
    expect(readFileSync(file, 'utf8')).toBe(
      '{"seq":1,"ts":"1970-01-01T00:00:00.000Z","mission":"m9","v":2,"type":"mission.started"}\n' +
        '{"seq":2,"ts":"1970-01-01T00:00:00.000Z","mission":"m9","v":2,"type":"stage.entered","stage":"s"}\n',
    );
    expect(seen).toEqual(['mission.started', 'stage.entered']);
    expect(EventLog.read(file, undefined, parseLogEnvelope).map((e) => e.seq)).toEqual([1, 2]);
  });

  // (Issue 12 changed this: a corrupt middle line used to make the whole log unreadable.)
  it('should skip a torn last line silently, and a corrupt line in the middle with its line number', () => {
    const file = join(tempDir(), 'e.jsonl');
    writeFileSync(file, '{"seq":1,"type":"a"}\n{"seq":2,"ty');
    const corrupt: [number, string][] = [];
    expect(
      EventLog.read(file, (line, reason) => corrupt.push([line, reason]), parseLogEnvelope).map(
        (e) => e.seq,
      ),
    ).toEqual([1]);
    expect(corrupt).toEqual([]);
    appendFileSync(
      file,
      '\n{"seq":3,"type":"c"}\n[1,2]\n{"seq":"4","type":"d"}\n{"seq":5,"type":"e"}\n',
    );
    expect(
      EventLog.read(file, (line, reason) => corrupt.push([line, reason]), parseLogEnvelope).map(
        (e) => e.seq,
      ),
    ).toEqual([1, 3, 5]);
    expect(corrupt).toEqual([
      [2, 'not JSON'],
      [4, 'not an event (no seq or type)'],
      [5, 'not an event (no seq or type)'],
    ]);
  });

  it('should mask a registered secret wherever it appears in an event', () => {
    const secret = 'sk-test-0123456789abcdef';
    registerSecret(secret);
    const file = join(tempDir(), 'e.jsonl');
    const log = new EventLog(file, 'm', () => 0).open();
    log.append(
      raw({ type: 'agent.call', error: `401 for key ${secret}`, nested: { list: [secret] } }),
    );
    log.close();
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(secret);
    expect(EventLog.read(file, undefined, parseLogEnvelope)[0]).toMatchObject({
      error: '401 for key [REDACTED]',
      nested: { list: ['[REDACTED]'] },
    });
  });
});

describe('event log compaction', () => {
  it('should drop the compactable events before the snapshot and keep everything else in order', () => {
    const file = join(tempDir(), 'c.jsonl');
    const log = new EventLog(file, 'm', () => 0).open();
    log.append(raw({ type: 'mission.started' }));
    for (let i = 0; i < 5; i++) log.append(raw({ type: 'maker.vote', step: i }));
    log.append(raw({ type: 'maker.snapshot', step: 5 }));
    log.compact(['maker.vote', 'maker.snapshot']);
    log.append(raw({ type: 'maker.vote', step: 5 }));
    log.close();
    expect(EventLog.read(file, undefined, parseLogEnvelope).map((e) => [e.seq, e.type])).toEqual([
      [1, 'mission.started'],
      [7, 'maker.snapshot'],
      [8, 'maker.vote'],
    ]);
  });
});
