import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  Blackboard,
  BlackboardCompactionError,
  CUT_MARKER,
  type BlackboardOptions,
} from '../../actors/blackboard.js';
import { EventLog, type LoggedEvent } from '../../log/eventLog.js';
import { ManualClock } from '../../kernel/clock.js';

const T0 = Date.parse('2025-01-01T00:00:00.000Z');
const PATH = 'stage1/blackboard';

/** The board writes into a real event log (a file when `file` is given), as in a mission. */
function harness(options: Partial<BlackboardOptions> = {}, file?: string) {
  const clock = new ManualClock(T0);
  const events = new EventLog(file ?? 'unopened.jsonl', 'm', () => clock.now());
  if (file) events.open();
  const log: LoggedEvent[] = [];
  events.onEvent((e) => log.push(e));
  const board = new Blackboard({ path: PATH, events, clock, tokenBudget: 40, ...options });
  return {
    clock,
    log,
    events,
    board,
    payloads: () => log.map(({ seq, ts, mission, ...rest }) => rest),
  };
}

/** Data of 32 characters: with `[k] aN: ` in front, a 40-character line, exactly 10 tokens. */
function data(n: number): string {
  return `entry ${n} `.padEnd(32, '.');
}

function fill(board: Blackboard, count: number, clock?: ManualClock): void {
  for (let n = 1; n <= count; n++) {
    board.append({ agent: `a${n}`, kind: 'k', data: data(n) });
    clock?.advance(1000);
  }
}

function line(n: number): string {
  return `[k] a${n}: ${data(n)}`;
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('blackboard', () => {
  it('should append numbered, timestamped entries, each one an event, and show them as text', () => {
    const { board, clock, payloads } = harness();
    expect(board.append({ agent: 'coder', kind: 'finding', data: 'x' })).toEqual({
      seq: 1,
      at: '2025-01-01T00:00:00.000Z',
      agent: 'coder',
      kind: 'finding',
      data: 'x',
    });
    clock.advance(1500);
    board.append({ agent: 'tester', kind: 'result', data: 'tests pass' });
    expect(payloads()).toEqual([
      {
        type: 'blackboard.entry',
        path: PATH,
        entrySeq: 1,
        agent: 'coder',
        kind: 'finding',
        data: 'x',
      },
      {
        type: 'blackboard.entry',
        path: PATH,
        entrySeq: 2,
        agent: 'tester',
        kind: 'result',
        data: 'tests pass',
      },
    ]);
    expect(board.entries.map((e) => e.at)).toEqual([
      '2025-01-01T00:00:00.000Z',
      '2025-01-01T00:00:01.500Z',
    ]);
    expect(board.text()).toBe('[finding] coder: x\n[result] tester: tests pass');
    // 18 characters → 5 tokens, 26 characters → 7 tokens.
    expect(board.tokens()).toBe(12);
    expect(board.summary).toBeUndefined();
  });

  it('should do nothing when compacting a board within its budget', async () => {
    const summarize = async () => 'never';
    const { board, log } = harness({ summarize });
    fill(board, 4);
    expect(board.tokens()).toBe(40);
    await board.compact();
    expect(log.map((e) => e.type)).toEqual(Array(4).fill('blackboard.entry'));
    expect(board.entries).toHaveLength(4);
  });

  it('should replace the oldest entries with a summary, keep the newest verbatim, and get back under budget', async () => {
    const inputs: string[] = [];
    const { board, clock, payloads } = harness({
      summarize: async (text) => (inputs.push(text), 'S'),
    });
    fill(board, 5, clock);
    expect(board.tokens()).toBe(50);
    await board.compact();
    // The newest two (20 tokens) fit in half the budget; a third would not.
    expect(inputs).toEqual([[line(1), line(2), line(3)].join('\n')]);
    expect(board.entries.map((e) => e.seq)).toEqual([4, 5]);
    expect(board.summary).toEqual({
      seq: 3,
      at: '2025-01-01T00:00:05.000Z',
      agent: 'blackboard',
      kind: 'summary',
      data: 'S',
    });
    expect(board.text()).toBe(['[summary] blackboard: S', line(4), line(5)].join('\n'));
    expect(board.tokens()).toBe(26);
    expect(payloads().at(-1)).toEqual({
      type: 'blackboard.compressed',
      path: PATH,
      replaced: [1, 2, 3],
      summary: 'S',
      kind: 'summary',
    });
  });

  it('should cut a summary that does not fit in what the kept entries leave, and say so', async () => {
    const { board } = harness({ summarize: async () => 'z'.repeat(500) });
    fill(board, 5);
    await board.compact();
    // 40 - 20 kept = 20 tokens = 80 characters: 22 of prefix, 38 of marker, 20 of summary.
    expect(board.summary!.data).toBe('z'.repeat(20) + CUT_MARKER);
    expect(CUT_MARKER).toBe(' [summary cut to fit the token budget]');
    expect(board.tokens()).toBe(40);
  });

  it('should drop the oldest entries with a note saying how many when there is no summarizer', async () => {
    const { board, payloads } = harness();
    fill(board, 5);
    await board.compact();
    expect(board.text()).toBe(
      ['[note] blackboard: 3 older entries dropped (no summarizer)', line(4), line(5)].join('\n'),
    );
    expect(board.tokens()).toBe(35);
    board.append({ agent: 'a6', kind: 'k', data: data(6) });
    await board.compact();
    expect(board.text()).toBe(
      ['[note] blackboard: 4 older entries dropped (no summarizer)', line(5), line(6)].join('\n'),
    );
    expect(payloads().filter((e) => e.type === 'blackboard.compressed')).toEqual([
      {
        type: 'blackboard.compressed',
        path: PATH,
        replaced: [1, 2, 3],
        summary: '3 older entries dropped (no summarizer)',
        kind: 'note',
      },
      {
        type: 'blackboard.compressed',
        path: PATH,
        replaced: [4],
        summary: '4 older entries dropped (no summarizer)',
        kind: 'note',
      },
    ]);
  });

  it('should run one compaction for concurrent calls and keep entries appended meanwhile', async () => {
    const pending = deferred<string>();
    let calls = 0;
    const { board, log } = harness({ summarize: () => (calls++, pending.promise) });
    fill(board, 5);
    const first = board.compact();
    const second = board.compact();
    expect(second).toBe(first);
    board.append({ agent: 'a6', kind: 'k', data: data(6) });
    pending.resolve('S');
    await Promise.all([first, second, board.compact()]);
    expect(calls).toBe(1);
    expect(board.entries.map((e) => e.seq)).toEqual([4, 5, 6]);
    expect(log.filter((e) => e.type === 'blackboard.compressed')).toHaveLength(1);
  });

  it('should leave the board unchanged when the summarizer fails, and try again on the next call', async () => {
    let fail = true;
    const { board } = harness({
      summarize: async () => {
        if (fail) throw new Error('model down');
        return 'S';
      },
    });
    fill(board, 5);
    const err = await board.compact().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BlackboardCompactionError);
    expect(err).toMatchObject({
      path: PATH,
      replaced: [1, 2, 3],
      message: `blackboard '${PATH}': summarizer failed on entries 1-3: model down`,
    });
    expect(board.entries).toHaveLength(5);
    fail = false;
    await board.compact();
    expect(board.summary?.data).toBe('S');
  });

  it('should rebuild entries and summary from the log, compressed entries staying compressed', async () => {
    const inputs: string[] = [];
    const file = join(mkdtempSync(join(tmpdir(), 'maestro-test-')), 'm.jsonl');
    const { board, clock, events } = harness(
      { summarize: async (text) => (inputs.push(text), 'S') },
      file,
    );
    events.append({
      type: 'blackboard.entry',
      path: 'other/blackboard',
      entrySeq: 1,
      agent: 'x',
      kind: 'k',
      data: 'elsewhere',
    });
    fill(board, 5, clock);
    await board.compact();
    board.append({ agent: 'a6', kind: 'k', data: data(6) });
    events.close();
    const logged = EventLog.read(file);
    expect(logged.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const restore = Blackboard.fromEvents(logged, PATH);
    expect(restore).toEqual([board.summary, ...board.entries]);
    expect(restore.map((e) => e.seq)).toEqual([3, 4, 5, 6]);

    const resumed = harness({
      restore,
      summarize: async (text) => (inputs.push(text), 'S2'),
    }).board;
    expect(resumed.text()).toBe(board.text());
    expect(resumed.tokens()).toBe(board.tokens());
    expect(resumed.summary).toEqual(board.summary);
    expect(resumed.append({ agent: 'a7', kind: 'k', data: data(7) }).seq).toBe(7);
    await resumed.compact();
    // The old summary goes to the summarizer with the entries it now replaces.
    expect(inputs[1]).toBe(['[summary] blackboard: S', line(4), line(5)].join('\n'));
    expect(resumed.text()).toBe(['[summary] blackboard: S2', line(6), line(7)].join('\n'));
  });

  it('should record the synthesis of the board as an entry', async () => {
    const { board, payloads } = harness();
    board.append({ agent: 'coder', kind: 'finding', data: 'x' });
    const asked: string[] = [];
    const entry = await board.synthesize(
      async (text) => (asked.push(text), 'all good; next: ship'),
      'planner',
    );
    expect(asked).toEqual(['[finding] coder: x']);
    expect(entry).toMatchObject({
      seq: 2,
      agent: 'planner',
      kind: 'synthesis',
      data: 'all good; next: ship',
    });
    expect(payloads().at(-1)).toEqual({
      type: 'blackboard.entry',
      path: PATH,
      entrySeq: 2,
      agent: 'planner',
      kind: 'synthesis',
      data: 'all good; next: ship',
    });
    expect(board.text()).toBe('[finding] coder: x\n[synthesis] planner: all good; next: ship');
  });
});
