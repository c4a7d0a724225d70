import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { parseLogEnvelope } from '../../log/missionLogEvent.js';
import { raw } from '../helpers/looseEvent.js';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventLog } from '../../log/eventLog.js';
import { tempDir } from '../helpers/missions.js';

/** A log of `n` events written by EventLog, closed; returns its file and text. */
function cleanLog(n: number, event: (i: number) => Record<string, unknown> = (i) => ({ i })) {
  const file = join(tempDir(), 'm.jsonl');
  const log = new EventLog(file, 'm', () => 0).open();
  for (let i = 0; i < n; i++) log.append(raw({ type: 'x', ...event(i) }));
  log.close();
  return { file, text: readFileSync(file, 'utf8') };
}

/** Every line of the file parses and ends with a newline; the sequence numbers. */
function seqsOf(file: string): number[] {
  const text = readFileSync(file, 'utf8');
  expect(text === '' || text.endsWith('\n')).toBe(true);
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as { seq: number }).seq);
}

const torn = (seq: number, length: number) => {
  const head = `{"seq":${seq},"ts":"1970-01-01T00:00:00.000Z","mission":"m","type":"stage.finished","output":"`;
  return (head + 'x'.repeat(Math.max(0, length - head.length))).slice(0, length);
};

describe('event log: reopening', () => {
  it('should cut a torn last line off, and number the next event after the last complete one', () => {
    const { file, text } = cleanLog(3);
    const fragment = torn(4, 60);
    appendFileSync(file, fragment);
    const log = new EventLog(file, 'm', () => 0).open();
    expect(log.tornBytes).toBe(60);
    expect(log.lastSeq).toBe(3);
    expect(readFileSync(file, 'utf8')).toBe(text);
    log.append(raw({ type: 'after' }));
    log.close();
    expect(seqsOf(file)).toEqual([1, 2, 3, 4]);
    expect(EventLog.read(file, undefined, parseLogEnvelope).at(-1)).toMatchObject({
      seq: 4,
      type: 'after',
    });
  });

  it('should cut a torn last line off even when what was written of it parses (its newline is missing)', () => {
    const { file, text } = cleanLog(2);
    const whole = JSON.stringify({
      seq: 3,
      ts: '1970-01-01T00:00:00.000Z',
      mission: 'm',
      type: 'approval.answered',
      id: 'a',
      decision: 'approve',
    });
    appendFileSync(file, whole);
    const log = new EventLog(file, 'm', () => 0).open();
    expect(log.tornBytes).toBe(whole.length);
    expect(readFileSync(file, 'utf8')).toBe(text);
    expect(log.lastSeq).toBe(2);
    log.close();
  });

  it('should empty a file that holds only a torn line, and start at 1', () => {
    const file = join(tempDir(), 'm.jsonl');
    writeFileSync(file, '{"seq":1,"ts":"1970-01-0');
    const log = new EventLog(file, 'm', () => 0).open();
    expect(log.tornBytes).toBe(24);
    expect(log.lastSeq).toBe(0);
    expect(statSync(file).size).toBe(0);
    log.append(raw({ type: 'first' }));
    log.close();
    expect(seqsOf(file)).toEqual([1]);
  });

  it('should go on numbering a clean log, leaving it as it was', () => {
    const { file, text } = cleanLog(3);
    const log = new EventLog(file, 'm', () => 0).open();
    expect(log.tornBytes).toBe(0);
    expect(log.lastSeq).toBe(3);
    expect(readFileSync(file, 'utf8')).toBe(text);
    log.append(raw({ type: 'again' }));
    log.close();
    const again = new EventLog(file, 'm', () => 0).open();
    expect(again.lastSeq).toBe(4);
    again.close();
    expect(seqsOf(file)).toEqual([1, 2, 3, 4]);
  });

  it('should start an empty or missing log at 1', () => {
    const file = join(tempDir(), 'missions', 'new.jsonl');
    const log = new EventLog(file, 'm', () => 0).open();
    expect([log.lastSeq, log.tornBytes]).toEqual([0, 0]);
    log.close();
    expect(new EventLog(file, 'm', () => 0).open().lastSeq).toBe(0);
  });

  it('should read the last sequence number of a log with large numbers, without reading the whole file', () => {
    const file = join(tempDir(), 'm.jsonl');
    writeFileSync(
      file,
      Array.from(
        { length: 5 },
        (_, i) =>
          `{"seq":${123_456_780 + i},"ts":"1970-01-01T00:00:00.000Z","mission":"m","type":"x"}\n`,
      ).join(''),
    );
    const log = new EventLog(file, 'm', () => 0).open();
    expect(log.lastSeq).toBe(123_456_784);
    log.append(raw({ type: 'y' }));
    log.close();
    expect(seqsOf(file).slice(-2)).toEqual([123_456_784, 123_456_785]);
  });

  // The tail is read in growing chunks from the end (4 KiB first): lines longer than a chunk.
  it.each([
    ['a last complete line longer than the first chunk', 10_000, 0],
    ['a torn line longer than the first chunk', 100, 10_000],
    ['a torn line longer than two chunks', 100, 20_000],
    ['a torn line of exactly the first chunk less one byte', 5000, 4095],
    ['a torn line of exactly the first chunk', 5000, 4096],
    ['a torn line of exactly the first chunk plus one byte', 5000, 4097],
  ])('should find the last complete line past %s', (_name, lastLength, tornLength) => {
    const { file, text } = cleanLog(3, (i) =>
      i === 2 ? { output: 'y'.repeat(lastLength) } : { i },
    );
    if (tornLength > 0) appendFileSync(file, torn(4, tornLength));
    const log = new EventLog(file, 'm', () => 0).open();
    expect([log.tornBytes, log.lastSeq]).toEqual([tornLength, 3]);
    expect(readFileSync(file, 'utf8')).toBe(text);
    log.append(raw({ type: 'next' }));
    log.close();
    expect(seqsOf(file)).toEqual([1, 2, 3, 4]);
  });

  it('should compact a reopened log and go on numbering', () => {
    const { file } = cleanLog(2);
    appendFileSync(file, torn(3, 50));
    const log = new EventLog(file, 'm', () => 0).open();
    log.append(raw({ type: 'maker.vote', step: 0 }));
    log.append(raw({ type: 'maker.snapshot', step: 1 }));
    log.compact(['maker.vote', 'maker.snapshot']);
    log.append(raw({ type: 'maker.vote', step: 1 }));
    log.close();
    expect(EventLog.read(file, undefined, parseLogEnvelope).map((e) => [e.seq, e.type])).toEqual([
      [1, 'x'],
      [2, 'x'],
      [4, 'maker.snapshot'],
      [5, 'maker.vote'],
    ]);
  });

  it('should sync on request and on close with syncEveryMs, and keep every event', () => {
    const file = join(tempDir(), 'm.jsonl');
    const log = new EventLog(file, 'm', () => 0, { syncEveryMs: 10_000 }).open();
    log.append(raw({ type: 'a' }));
    log.sync();
    log.append(raw({ type: 'b' }));
    log.close();
    log.close(); // a second close is harmless
    expect(seqsOf(file)).toEqual([1, 2]);
  });
});
