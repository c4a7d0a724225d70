import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventLog } from '../../actors/eventLog.js';
import { registerSecret } from '../../config/secrets.js';
import { tempDir } from '../helpers/missions.js';

describe('event log (JSONL)', () => {
  it('should append numbered, timestamped events to one file per mission and read them back', () => {
    const dir = tempDir();
    const file = EventLog.pathFor(dir, 'm9');
    expect(file).toBe(join(dir, 'missions', 'm9.jsonl'));
    const log = new EventLog(file, 'm9', () => 0).open();
    const seen: string[] = [];
    log.onEvent((e) => seen.push(e.type));
    log.append({ type: 'mission.started' });
    log.append({ type: 'stage.entered', stage: 's' });
    log.close();
    expect(readFileSync(file, 'utf8')).toBe(
      '{"seq":1,"ts":"1970-01-01T00:00:00.000Z","mission":"m9","type":"mission.started"}\n' +
        '{"seq":2,"ts":"1970-01-01T00:00:00.000Z","mission":"m9","type":"stage.entered","stage":"s"}\n',
    );
    expect(seen).toEqual(['mission.started', 'stage.entered']);
    expect(EventLog.read(file).map((e) => e.seq)).toEqual([1, 2]);
  });

  it('should skip a torn last line but refuse a corrupt line in the middle', () => {
    const file = join(tempDir(), 'e.jsonl');
    writeFileSync(file, '{"seq":1,"type":"a"}\n{"seq":2,"ty');
    expect(EventLog.read(file).map((e) => e.seq)).toEqual([1]);
    appendFileSync(file, '\n{"seq":3,"type":"c"}\n');
    expect(() => EventLog.read(file)).toThrow(`${file}:2: not a JSON event`);
  });

  it('should mask a registered secret wherever it appears in an event', () => {
    const secret = 'sk-test-0123456789abcdef';
    registerSecret(secret);
    const file = join(tempDir(), 'e.jsonl');
    const log = new EventLog(file, 'm', () => 0).open();
    log.append({ type: 'agent.call', error: `401 for key ${secret}`, nested: { list: [secret] } });
    log.close();
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(secret);
    expect(EventLog.read(file)[0]).toMatchObject({ error: '401 for key [REDACTED]', nested: { list: ['[REDACTED]'] } });
  });
});

describe('event log compaction', () => {
  it('should drop the compactable events before the snapshot and keep everything else in order', () => {
    const file = join(tempDir(), 'c.jsonl');
    const log = new EventLog(file, 'm', () => 0).open();
    log.append({ type: 'mission.started' });
    for (let i = 0; i < 5; i++) log.append({ type: 'maker.vote', step: i });
    log.append({ type: 'maker.snapshot', step: 5 });
    log.compact(['maker.vote', 'maker.snapshot']);
    log.append({ type: 'maker.vote', step: 5 });
    log.close();
    expect(EventLog.read(file).map((e) => [e.seq, e.type])).toEqual([
      [1, 'mission.started'],
      [7, 'maker.snapshot'],
      [8, 'maker.vote'],
    ]);
  });
});
