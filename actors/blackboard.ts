/**
 * The blackboard: a plan stage's shared context window. Agents append entries (append-only, each
 * one an event); what agents see is `text()`, bounded by a token budget (estimated as characters
 * / 4). Over budget, `compact()` replaces the oldest entries with one head entry: a summary
 * written by the summarizer agent, or without one a note saying how many entries were dropped.
 *
 * The compaction rule, exactly: each line `[kind] agent: data` costs `ceil(length / 4)` tokens
 * and the board costs the sum over its head and entries. Walking from the newest entry back,
 * entries stay verbatim while their total fits in `floor(tokenBudget / 2)`; the newest entry
 * always stays, even alone over that. Every older entry, and the old head, is replaced. The new
 * head may use what is left, `tokenBudget - kept`; a longer summary is cut to fit and says so.
 * The head's `seq` is the last seq it covers: seqs start at 1 and only a prefix is ever replaced,
 * so the head's seq is also how many entries it stands for.
 */
import { SystemError, errorMessage } from '../kernel/errors.js';
import type { Clock } from '../kernel/clock.js';
import type { EventSink } from '../supervisors/runtime.js';
import type { LoggedEvent } from '../log/eventLog.js';

export interface BlackboardEntry {
  seq: number;
  /** ISO time of the append (of the compaction, for a head). */
  at: string;
  agent: string;
  kind: string;
  data: string;
}

/** The head's kinds: `summary` (a summarizer wrote it) or `note` (entries were dropped). */
export type BlackboardHeadKind = 'summary' | 'note';

export interface BlackboardOptions {
  /** The board's path in the mission, `<stage>/blackboard`; in every event, to tell boards apart. */
  path: string;
  events: EventSink;
  clock: Clock;
  /** Estimated tokens the board may hold before `compact()` does anything. */
  tokenBudget: number;
  /** A summarizer agent's call, given the replaced entries (and the old head) as text. */
  summarize?: (text: string) => Promise<string>;
  /** Entries rebuilt by `Blackboard.fromEvents`, a head first if the board was compacted. */
  restore?: BlackboardEntry[];
}

/** The agent name of the board's own head entries. */
export const BOARD_AGENT = 'blackboard';
export const CUT_MARKER = ' [summary cut to fit the token budget]';

/** Estimated tokens of a text: characters / 4, rounded up. */
export function tokensOf(text: string): number {
  return Math.ceil(text.length / 4);
}

export function formatEntry(e: Pick<BlackboardEntry, 'kind' | 'agent' | 'data'>): string {
  return `[${e.kind}] ${e.agent}: ${e.data}`;
}

/** The summarizer failed; the board is unchanged and the next `compact()` tries again. */
export class BlackboardCompactionError extends SystemError {
  override name = 'BlackboardCompactionError';
  constructor(
    readonly path: string,
    readonly replaced: readonly number[],
    cause: unknown,
  ) {
    super(
      `blackboard '${path}': summarizer failed on entries ${replaced[0]}-${replaced.at(-1)}: ${errorMessage(cause)}`,
      { cause },
    );
  }
}

function isHead(e: BlackboardEntry): boolean {
  return e.agent === BOARD_AGENT && (e.kind === 'summary' || e.kind === 'note');
}

export class Blackboard {
  readonly path: string;
  private readonly options: BlackboardOptions;
  private head: BlackboardEntry | undefined;
  private list: BlackboardEntry[];
  private nextSeq: number;
  private running: Promise<void> | undefined;

  constructor(options: BlackboardOptions) {
    this.options = options;
    this.path = options.path;
    const restore = options.restore ?? [];
    this.head = restore[0] && isHead(restore[0]) ? { ...restore[0] } : undefined;
    this.list = restore.slice(this.head ? 1 : 0).map((e) => ({ ...e }));
    this.nextSeq = restore.reduce((max, e) => Math.max(max, e.seq), 0) + 1;
  }

  /** The summary or note standing for replaced entries, if the board was ever compacted. */
  get summary(): BlackboardEntry | undefined {
    return this.head && { ...this.head };
  }

  /** The entries kept verbatim, oldest first. */
  get entries(): BlackboardEntry[] {
    return this.list.map((e) => ({ ...e }));
  }

  /** Estimated tokens of what the board holds (see the rule at the top). */
  tokens(): number {
    return this.lines().reduce((sum, l) => sum + tokensOf(l), 0);
  }

  /** What agents see: the head, then the entries, one per line `[kind] agent: data`. */
  text(): string {
    return this.lines().join('\n');
  }

  append(entry: { agent: string; kind: string; data: string }): BlackboardEntry {
    const e: BlackboardEntry = {
      seq: this.nextSeq++,
      at: this.isoNow(),
      agent: entry.agent,
      kind: entry.kind,
      data: entry.data,
    };
    this.list.push(e);
    // `entrySeq`, not `seq`: the event log's own `seq`, `ts` and `mission` would be overwritten.
    this.options.events.append({
      type: 'blackboard.entry',
      path: this.path,
      entrySeq: e.seq,
      agent: e.agent,
      kind: e.kind,
      data: e.data,
    });
    return { ...e };
  }

  /**
   * Brings the board back under its budget (a no-op under it). A call while a compaction runs
   * waits for that one and starts none. Entries appended meanwhile are kept.
   */
  compact(): Promise<void> {
    if (this.running) return this.running;
    if (this.tokens() <= this.options.tokenBudget) return Promise.resolve();
    this.running = this.runCompaction().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Asks for the global state, patterns and next steps over the board; the answer becomes a `synthesis` entry. */
  async synthesize(
    ask: (boardText: string) => Promise<string>,
    agent = 'synthesizer',
  ): Promise<BlackboardEntry> {
    if (this.running) await this.running.catch(() => undefined);
    const answer = await ask(this.text());
    return this.append({ agent, kind: 'synthesis', data: answer });
  }

  /** The board at `path` as its events left it: entries, with a head first if it was compacted. */
  static fromEvents(events: readonly LoggedEvent[], path: string): BlackboardEntry[] {
    let head: BlackboardEntry | undefined;
    let list: BlackboardEntry[] = [];
    for (const ev of events) {
      if (!('path' in ev) || ev.path !== path) continue;
      if (ev.type === 'blackboard.entry') {
        list.push({
          seq: ev.entrySeq as number,
          at: ev.ts,
          agent: ev.agent as string,
          kind: ev.kind as string,
          data: ev.data as string,
        });
      } else if (ev.type === 'blackboard.compressed') {
        const replaced = ev.replaced as number[];
        const gone = new Set(replaced);
        list = list.filter((e) => !gone.has(e.seq));
        const kind = (ev.kind as BlackboardHeadKind | undefined) ?? 'summary';
        head = {
          seq: replaced.reduce((max, s) => Math.max(max, s), 0),
          at: ev.ts,
          agent: BOARD_AGENT,
          kind,
          data: ev.summary as string,
        };
      }
    }
    return head ? [head, ...list] : list;
  }

  private lines(): string[] {
    return [...(this.head ? [this.head] : []), ...this.list].map(formatEntry);
  }

  private isoNow(): string {
    return new Date(this.options.clock.now()).toISOString();
  }

  private async runCompaction(): Promise<void> {
    const budget = this.options.tokenBudget;
    const cost = this.list.map((e) => tokensOf(formatEntry(e)));
    // The newest entry always stays; older ones while the kept total fits in half the budget.
    let firstKept = this.list.length - 1;
    let keptTokens = cost[firstKept] ?? 0;
    while (firstKept > 0 && keptTokens + cost[firstKept - 1]! <= Math.floor(budget / 2))
      keptTokens += cost[--firstKept]!;
    const replacedEntries = this.list.slice(0, Math.max(0, firstKept));
    // Nothing older than the newest entry: nothing left to compress.
    if (replacedEntries.length === 0) return;
    const replaced = replacedEntries.map((e) => e.seq);
    const through = replaced.at(-1)!;
    let kind: BlackboardHeadKind;
    let data: string;
    if (this.options.summarize) {
      const input = [...(this.head ? [this.head] : []), ...replacedEntries]
        .map(formatEntry)
        .join('\n');
      try {
        data = await this.options.summarize(input);
      } catch (err) {
        throw new BlackboardCompactionError(this.path, replaced, err);
      }
      kind = 'summary';
    } else {
      data = `${through} older entries dropped (no summarizer)`;
      kind = 'note';
    }
    data = cutToFit(kind, data, budget - keptTokens);
    this.head = { seq: through, at: this.isoNow(), agent: BOARD_AGENT, kind, data };
    this.list = this.list.filter((e) => e.seq > through);
    this.options.events.append({
      type: 'blackboard.compressed',
      path: this.path,
      replaced,
      summary: data,
      kind,
    });
  }
}

/** The head's data, cut so its line costs at most `allowance` tokens, ending with CUT_MARKER when cut. */
function cutToFit(kind: BlackboardHeadKind, data: string, allowance: number): string {
  const prefix = formatEntry({ kind, agent: BOARD_AGENT, data: '' });
  if (tokensOf(prefix + data) <= allowance) return data;
  const room = Math.max(0, allowance * 4 - prefix.length - CUT_MARKER.length);
  return data.slice(0, room) + CUT_MARKER;
}
