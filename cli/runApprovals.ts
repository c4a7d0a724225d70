/**
 * Who answers an approval gate under `maestro run`, where there is no daemon to ask: a person at
 * the terminal (a prompt, when stdin is a TTY), a script (one answer a line on piped stdin), the
 * inspector page (with the token), or `--approve-all`. Whoever answers, the answer is the same
 * durable gate event the daemon writes (`approval.answered`, with `by`). When nobody can answer,
 * it says so at once, with how to: and fails the mission unless the gate's own timeout will
 * answer it.
 */
import { stageOutputLines } from './render/workflowReport.js';
import { createInterface, type Interface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { LoggedEvent } from '../log/eventLog.js';
import { UserError } from '../kernel/errors.js';
import type { MissionMachineEvent } from '../machines/mission.js';

export type GateAnswer =
  /** `feedback`: what the reviewer adds (`approve: NOTE`), which a workflow's next phase reads. */
  | { decision: 'approve'; feedback?: string }
  | { decision: 'reject'; feedback?: string }
  | { decision: 'stop' };

const GRAMMAR = 'approve, reject [FEEDBACK] or stop';

/**
 * One answer as typed: `approve` (`a`, `y`, `yes`), `approve: NOTE` (the note goes to the next
 * stage: a workflow's answers to the gate's questions), `reject [FEEDBACK]` (`r`, `n`, `no`),
 * `stop` (`s`, `q`). Text after a bare `approve` is refused: only the colon says it is a note.
 */
export function parseGateAnswer(line: string): GateAnswer | undefined {
  const m = /^\s*(\S+)\s*(.*?)\s*$/s.exec(line);
  if (!m) return undefined;
  const word = m[1]!.toLowerCase();
  const rest = m[2]!;
  if (['approve', 'approved', 'a', 'y', 'yes'].includes(word) && rest === '')
    return { decision: 'approve' };
  if (['approve:', 'a:', 'yes:'].includes(word) && rest !== '')
    return { decision: 'approve', feedback: rest };
  if (['reject', 'r', 'n', 'no'].includes(word))
    return rest === '' ? { decision: 'reject' } : { decision: 'reject', feedback: rest };
  if (['stop', 's', 'q', 'quit'].includes(word) && rest === '') return { decision: 'stop' };
  return undefined;
}

export interface RunApprovalsOptions {
  /** Progress and prompts (stderr). */
  err: (line: string) => void;
  /** Progress is JSON lines: each message is one (`{type: 'approval.how', id, message}`), without the output (its event has it). */
  json?: boolean;
  /** `--approve-all`: every gate approved as it opens. */
  approveAll: boolean;
  /** A workflow's reports in this language, where the model wrote one. */
  language?: string;
  /** Where answers come from: a TTY gets a prompt per gate, anything else is read line by line. */
  stdin: Readable & { isTTY?: boolean };
  /** Where a TTY prompt is drawn. */
  prompt: Writable;
  /** The inspector's page, when it takes answers (`--inspect-token`). */
  inspector?: { url: string };
  /** Stops the mission (a `stop` answer, or nobody to answer). */
  stop: (reason: string) => void;
  /** Ctrl-C at the prompt (the terminal is in raw mode there, so no SIGINT reaches the process). */
  interrupt: () => void;
}

interface OpenGate {
  id: string;
  stage: string;
  attempt: number;
  output: string;
  timeoutAt?: string;
  onTimeout?: string;
}

export class RunApprovals {
  private send?: (event: MissionMachineEvent) => void;
  private readonly open = new Map<string, OpenGate>();
  private readonly settled = new Set<string>();
  /** Lines read from piped stdin and not yet used as an answer. */
  private readonly lines: { n: number; text: string }[] = [];
  private lineNo = 0;
  private stdinEnded = false;
  private reader?: Interface;
  private prompting?: { id: string; abort: AbortController; rl: Interface };
  private closed = false;

  constructor(private readonly o: RunApprovalsOptions) {
    // Piped stdin is read from the start: a script may write every answer before the first gate.
    if (!o.approveAll && !o.stdin.isTTY) {
      this.reader = createInterface({ input: o.stdin, terminal: false });
      this.reader.on('line', (text) => {
        this.lines.push({ n: ++this.lineNo, text });
        this.useLines();
      });
      this.reader.on('close', () => {
        this.stdinEnded = true;
        this.useLines();
      });
    }
  }

  /** The mission's `send`, once it runs. */
  attach(send: (event: MissionMachineEvent) => void): void {
    this.send = send;
  }

  /** Every mission event: gates open with `approval.requested`, and end answered or closed. */
  onEvent(e: LoggedEvent): void {
    if (this.closed) return;
    if (e.type === 'approval.requested') {
      const gate: OpenGate = {
        id: String(e.id),
        stage: String(e.stage),
        attempt: Number(e.attempt),
        output: String(e.output ?? ''),
        timeoutAt: e.timeoutAt as string | undefined,
        onTimeout: e.onTimeout as string | undefined,
      };
      this.open.set(gate.id, gate);
      // After the event's own transition: the mission is at the gate by then.
      queueMicrotask(() => this.ask(gate));
    } else if (e.type === 'approval.answered' || e.type === 'approval.closed') {
      const id = String(e.id);
      this.open.delete(id);
      this.settled.add(id);
      if (this.prompting?.id === id) {
        // Answered elsewhere (the page, a timeout): the prompt line ends here.
        this.o.prompt.write('\n');
        this.endPrompt();
      }
    }
  }

  /** An inspector client's answer (it presented the token). Throws for a gate this run does not have. */
  inspectorAnswer(id: string, answer: GateAnswer): void {
    if (this.settled.has(id)) return; // answering twice is harmless
    if (!this.open.has(id))
      throw new UserError(
        `unknown approval '${id}' (pending here: ${[...this.open.keys()].join(', ') || 'none'})`,
      );
    this.answer(id, answer, 'inspector');
  }

  close(): void {
    this.closed = true;
    this.endPrompt();
    this.reader?.close();
    // A paused stdin does not keep the process alive once the mission is over.
    this.o.stdin.pause();
  }

  private ask(gate: OpenGate): void {
    if (!this.open.has(gate.id) || this.closed) return;
    const err = (line: string) => this.say(line.trim(), gate.id);
    if (!this.o.json) {
      this.o.err(
        `approval ${gate.id}: stage '${gate.stage}'${gate.attempt > 1 ? ` (attempt ${gate.attempt})` : ''} waits for approval of:`,
      );
      for (const line of stageOutputLines(gate.output, this.o.language)) this.o.err(`  │ ${line}`);
    }
    if (this.o.approveAll) {
      err('  approved by --approve-all');
      return this.answer(gate.id, { decision: 'approve' }, 'approve-all');
    }
    const ways = [
      this.o.stdin.isTTY || this.stdinEnded ? undefined : `answer on stdin (${GRAMMAR})`,
      this.o.inspector && `answer on the inspector page (${this.o.inspector.url}#token=…)`,
    ].filter(Boolean);
    if (ways.length) err(`  ${ways.join(', or ')}`);
    if (this.o.stdin.isTTY) return this.stdinEnded ? this.nobodyLeft(gate) : this.prompt(gate);
    this.useLines();
  }

  /**
   * Queued stdin lines answer the oldest open gate; a line that is no answer is reported and
   * skipped. Once stdin has ended and no line is left, nobody is left to answer here.
   */
  private useLines(): void {
    for (;;) {
      const gate = this.open.values().next().value as OpenGate | undefined;
      const line = this.lines[0];
      if (gate && !line && this.stdinEnded) return this.nobodyLeft(gate);
      if (!gate || !line || this.prompting) return;
      this.lines.shift();
      if (line.text.trim() === '') continue;
      const answer = parseGateAnswer(line.text);
      if (!answer) {
        this.say(
          `maestro run: stdin line ${line.n}: expected ${GRAMMAR}, got '${line.text.trim()}'`,
          gate.id,
        );
        continue;
      }
      this.answer(gate.id, answer, 'stdin');
    }
  }

  private prompt(gate: OpenGate): void {
    const abort = new AbortController();
    const rl = createInterface({ input: this.o.stdin, output: this.o.prompt, terminal: true });
    this.prompting = { id: gate.id, abort, rl };
    rl.on('SIGINT', () => {
      this.endPrompt();
      this.o.interrupt();
    });
    const question = (q: string) =>
      new Promise<string | undefined>((resolve) => {
        rl.question(q, { signal: abort.signal }, resolve);
        abort.signal.addEventListener('abort', () => resolve(undefined), { once: true });
        rl.once('close', () => resolve(undefined));
      });
    void (async () => {
      for (;;) {
        const line = await question(`${GRAMMAR}? `);
        if (line === undefined) {
          // Ctrl-D: the person left the prompt; anyone else (the inspector, a timeout) may still answer.
          if (!abort.signal.aborted && this.prompting?.id === gate.id) {
            this.endPrompt();
            this.stdinEnded = true;
            this.nobodyLeft(gate);
          }
          return;
        }
        const answer = parseGateAnswer(line);
        if (!answer) {
          if (line.trim() !== '') this.say(`expected ${GRAMMAR}, got '${line.trim()}'`, gate.id);
          continue;
        }
        if (answer.decision === 'reject' && answer.feedback === undefined) {
          const feedback = await question('feedback for the revision (empty for none): ');
          if (feedback === undefined) continue;
          if (feedback.trim() !== '') answer.feedback = feedback.trim();
        }
        this.endPrompt();
        return this.answer(gate.id, answer, 'terminal');
      }
    })();
  }

  private endPrompt(): void {
    const p = this.prompting;
    if (!p) return;
    this.prompting = undefined;
    p.abort.abort();
    p.rl.close();
  }

  private answer(id: string, answer: GateAnswer, by: string): void {
    if (!this.open.has(id)) return;
    if (answer.decision === 'stop') {
      this.open.delete(id);
      return this.o.stop(`stopped at approval ${id} (by ${by})`);
    }
    this.open.delete(id);
    this.settled.add(id);
    this.send?.({
      type: 'gate.answered',
      id,
      decision: answer.decision,
      ...(answer.feedback !== undefined && { feedback: answer.feedback }),
      by,
    });
  }

  /** A line under the gate's block, or a JSON line naming the gate. */
  private say(message: string, id: string): void {
    if (this.o.json) this.o.err(JSON.stringify({ type: 'approval.how', id, message }));
    else this.o.err(message.startsWith('maestro') ? message : `  ${message}`);
  }

  /** Stdin is gone: the inspector or the gate's timeout may still answer; else nobody can, so say how and stop. */
  private nobodyLeft(gate: OpenGate): void {
    if (!this.open.has(gate.id) || this.closed) return;
    if (this.o.inspector)
      return this.say(
        `stdin is closed: waiting for an answer on the inspector page (${this.o.inspector.url}#token=…)`,
        gate.id,
      );
    if (gate.timeoutAt)
      return this.say(
        `nobody can answer here: waiting for its timeout at ${gate.timeoutAt} (then: ${gate.onTimeout ?? 'reject'})`,
        gate.id,
      );
    this.say(
      `maestro run: stage '${gate.stage}' waits for approval and nobody can answer it: run with --approve-all, answer on stdin (${GRAMMAR}), or open the inspector with --inspect --inspect-token TOKEN`,
      gate.id,
    );
    this.open.delete(gate.id);
    this.o.stop(
      `nobody can answer approval ${gate.id} (stdin is closed, no --approve-all, no inspector token)`,
    );
  }
}
