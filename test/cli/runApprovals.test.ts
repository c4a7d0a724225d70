import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { EventLog, type LoggedEvent } from '../../log/eventLog.js';
import { runCommand, type RunFlags } from '../../cli/run.js';
import { parseGateAnswer } from '../../cli/runApprovals.js';
import { tempDir } from '../helpers/missions.js';

const RESULT = 'Done: /health added, test passing.';

/** `maestro run examples/approval.yaml` in process, its stdin a pipe the test writes. */
async function run(flags: RunFlags, stdin: PassThrough, file = 'examples/approval.yaml') {
  const stateDir = tempDir();
  const out: string[] = [];
  const err: string[] = [];
  const io = {
    out: (t: string) => out.push(t),
    err: (t: string) => err.push(t),
    tty: { err: true },
  };
  const code = runCommand(file, { 'state-dir': stateDir, 'mission-id': 'm1', ...flags }, io, {
    stdin,
  });
  const events = (): LoggedEvent[] => EventLog.read(join(stateDir, 'missions', 'm1.jsonl'));
  return { code, out, err, events, stateDir };
}

const answers = (events: LoggedEvent[]) =>
  events
    .filter((e) => e.type === 'approval.answered')
    .map((e) => [e.id, e.decision, e.feedback, e.by]);

describe('parseGateAnswer', () => {
  it.each([
    ['approve', { decision: 'approve' }],
    ['  A ', { decision: 'approve' }],
    ['yes', { decision: 'approve' }],
    ['reject', { decision: 'reject' }],
    ['reject  make it shorter ', { decision: 'reject', feedback: 'make it shorter' }],
    ['r no tests', { decision: 'reject', feedback: 'no tests' }],
    ['stop', { decision: 'stop' }],
    ['aprove', undefined],
    ['approve it', undefined],
    ['approve: b is included', { decision: 'approve', feedback: 'b is included' }],
    ['a:   keep it small ', { decision: 'approve', feedback: 'keep it small' }],
    ['approve:', undefined],
    ['', undefined],
  ])('%j', (line, expected) => {
    expect(parseGateAnswer(line)).toEqual(expected);
  });
});

describe('maestro run: approval gates answered on piped stdin', () => {
  it('should revise on a rejection with its feedback, then go on once approved, all from stdin lines written up front', async () => {
    const stdin = new PassThrough();
    stdin.end('reject make it shorter\napprove\n');
    const r = await run({}, stdin);
    expect(await r.code).toBe(0);
    expect(r.out).toEqual([RESULT]);
    expect(answers(r.events())).toEqual([
      ['m1/plan/1', 'reject', 'make it shorter', 'stdin'],
      ['m1/plan/2', 'approve', undefined, 'stdin'],
    ]);
    // The person sees what to approve and how to answer.
    expect(r.err).toContain("approval m1/plan/1: stage 'plan' waits for approval of:");
    expect(r.err).toContain('  │ Plan: add GET /health returning 200 and the version; one test.');
    expect(r.err).toContain('  answer on stdin (approve, reject [FEEDBACK] or stop)');
  });

  it('should wait for a line written while the gate is open', async () => {
    const stdin = new PassThrough();
    const r = await run({}, stdin);
    await vi.waitFor(() =>
      expect(r.err).toContain('  answer on stdin (approve, reject [FEEDBACK] or stop)'),
    );
    stdin.write('approve\n');
    expect(await r.code).toBe(0);
    expect(answers(r.events())).toEqual([['m1/plan/1', 'approve', undefined, 'stdin']]);
    stdin.end();
  });

  it('should report a line that is no answer, naming its line, and take the next one', async () => {
    const stdin = new PassThrough();
    stdin.end('aprove\n\napprove\n');
    const r = await run({}, stdin);
    expect(await r.code).toBe(0);
    expect(r.err).toContain(
      "maestro run: stdin line 1: expected approve, reject [FEEDBACK] or stop, got 'aprove'",
    );
    expect(answers(r.events())).toEqual([['m1/plan/1', 'approve', undefined, 'stdin']]);
  });

  it('should stop the mission on stop, with the gate closed', async () => {
    const stdin = new PassThrough();
    stdin.end('stop\n');
    const r = await run({}, stdin);
    expect(await r.code).toBe(1);
    // Said once, by the progress line of the mission's end, then the summary.
    expect(r.err.filter((l) => /^(maestro: )?mission failed: stopped/.test(l))).toEqual([
      'mission failed: stopped at approval m1/plan/1 (by stdin)',
    ]);
    expect(r.err.at(-1)).toMatch(/^mission failed: 1 call, /);
    expect(
      r
        .events()
        .filter((e) => e.type === 'approval.closed')
        .map((e) => [e.id, e.reason]),
    ).toEqual([['m1/plan/1', 'stopped']]);
  });
});

describe('maestro run: approval gates nobody can answer', () => {
  it('should say at once how to answer, and fail, when stdin is closed and there is no flag or inspector token', async () => {
    const stdin = new PassThrough();
    stdin.end();
    const r = await run({}, stdin);
    expect(await r.code).toBe(1);
    expect(r.err).toContain(
      "maestro run: stage 'plan' waits for approval and nobody can answer it: run with --approve-all, answer on stdin (approve, reject [FEEDBACK] or stop), or open the inspector with --inspect --inspect-token TOKEN",
    );
    expect(r.err.filter((l) => /^(maestro: )?mission failed: stopped/.test(l))).toEqual([
      'mission failed: stopped: nobody can answer approval m1/plan/1 (stdin is closed, no --approve-all, no inspector token)',
    ]);
    expect(r.err.at(-1)).toMatch(/^mission failed: 1 call, /);
    const events = r.events();
    expect(events.filter((e) => e.type === 'approval.closed')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'stage.entered').map((e) => e.stage)).toEqual(['plan']);
  });

  it("should wait for the gate's own timeout when it has one, saying so", async () => {
    const dir = tempDir();
    const file = join(dir, 'timed.yaml');
    writeFileSync(
      file,
      'name: timed\nproviders:\n  p: { kind: scripted, responses: [plan, built] }\nagents: [{ id: a, provider: p }]\n' +
        'stages:\n  - { name: plan, prompt: go, agents: [a], approval: { timeoutMs: 200, onTimeout: approve } }\n  - { name: build, prompt: go, agents: [a] }\n',
    );
    const stdin = new PassThrough();
    stdin.end();
    const r = await run({}, stdin, file);
    expect(await r.code).toBe(0);
    expect(
      r.err.some((l) =>
        /^ {2}nobody can answer here: waiting for its timeout at \S+ \(then: approve\)$/.test(l),
      ),
    ).toBe(true);
    expect(answers(r.events())).toEqual([
      [
        'm1/plan/1',
        'approve',
        expect.stringContaining('no answer within the approval timeout'),
        'timeout',
      ],
    ]);
  });
});

describe('maestro run --approve-all', () => {
  it('should approve every gate as it opens, recorded as by approve-all, without reading stdin', async () => {
    const stdin = new PassThrough();
    const r = await run({ 'approve-all': true }, stdin);
    expect(await r.code).toBe(0);
    expect(r.out).toEqual([RESULT]);
    expect(answers(r.events())).toEqual([['m1/plan/1', 'approve', undefined, 'approve-all']]);
    expect(r.err).toContain('  approved by --approve-all');
    expect(stdin.readableFlowing).not.toBe(true);
  });
});

/** A ws client that queues the messages it gets. */
function client(url: string) {
  const ws = new WebSocket(url);
  const queue: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  ws.on('message', (raw) => {
    queue.push(JSON.parse(raw.toString()) as Record<string, unknown>);
    waiters.splice(0).forEach((w) => {
      w();
    });
  });
  /** The next message that passes `test`, skipping the others. */
  const next = async (
    test: (m: Record<string, unknown>) => boolean = () => true,
  ): Promise<Record<string, unknown>> => {
    for (;;) {
      const i = queue.findIndex(test);
      if (i !== -1) return queue.splice(0, i + 1).at(-1)!;
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  return { ws, next, send: (m: object) => ws.send(JSON.stringify(m)) };
}

const hasApproval = (m: Record<string, unknown>) =>
  Array.isArray(m.approvals) && (m.approvals as { id: string }[]).some((a) => a.id === 'm1/plan/1');

describe('maestro run --inspect --inspect-token: the page answers', () => {
  it('should make the page writable with the token and take its approval; without the token it is read-only', async () => {
    const stdin = new PassThrough(); // open, never written: only the page answers
    const r = await run({ inspect: '0', 'inspect-token': 'tok-123456' }, stdin);
    await vi.waitFor(() =>
      expect(r.err.some((l) => l.startsWith('inspector: http://127.0.0.1:'))).toBe(true),
    );
    const url = /inspector: (http:\S+)/.exec(r.err.find((l) => l.startsWith('inspector: '))!)![1]!;
    expect(r.err.find((l) => l.startsWith('inspector: '))).toBe(
      `inspector: ${url} (open it with #token=... to answer approvals and stop)`,
    );
    const ws = url.replace('http', 'ws');

    const anon = client(`${ws}ws`);
    expect(await anon.next()).toMatchObject({ type: 'snapshot', writable: false });
    const admin = client(`${ws}ws?token=tok-123456`);
    const snapshot = await admin.next();
    expect(snapshot).toMatchObject({ type: 'snapshot', writable: true });
    if (!hasApproval(snapshot)) await admin.next(hasApproval);
    await vi.waitFor(() =>
      expect(r.err).toContain(
        `  answer on stdin (approve, reject [FEEDBACK] or stop), or answer on the inspector page (${url}#token=…)`,
      ),
    );

    anon.send({ type: 'approve', id: 'm1/plan/1' });
    expect(await anon.next((m) => m.type === 'error')).toEqual({
      type: 'error',
      message: 'write refused: a token is required',
    });
    admin.send({ type: 'approve', id: 'm1/nope/1' });
    expect(await admin.next((m) => m.type === 'error')).toEqual({
      type: 'error',
      message: "approve failed: unknown approval 'm1/nope/1' (pending here: m1/plan/1)",
    });
    admin.send({ type: 'approve', id: 'm1/plan/1' });
    expect(await admin.next((m) => m.type === 'ack')).toEqual({
      type: 'ack',
      action: 'approve',
      id: 'm1/plan/1',
    });
    // The page no longer offers it.
    await admin.next((m) => Array.isArray(m.approvals) && (m.approvals as unknown[]).length === 0);

    // The mission is over, but pages are open: run serves until they close.
    await vi.waitFor(() => expect(r.err.some((l) => l.startsWith('mission succeeded'))).toBe(true));
    expect(r.err).toContain(`inspector: still serving ${url} while a page is open; Ctrl-C to quit`);
    anon.ws.close();
    admin.ws.close();
    expect(await r.code).toBe(0);
    expect(r.out).toEqual([RESULT]);
    expect(answers(r.events())).toEqual([['m1/plan/1', 'approve', undefined, 'inspector']]);
    stdin.end();
  });

  it('should end at once after the mission when no page is open', async () => {
    const stdin = new PassThrough();
    const r = await run({ inspect: '0', 'approve-all': true }, stdin);
    expect(await r.code).toBe(0);
    expect(r.err.find((l) => l.startsWith('inspector: '))).toMatch(
      /^inspector: http:\S+ \(read-only; --inspect-token lets the page answer approvals\)$/,
    );
    expect(r.err.filter((l) => l.includes('still serving'))).toEqual([]);
  });
});

/** The real `maestro` process; resolves with its exit code and output. */
function bin(
  args: string[],
  options: {
    command?: string[];
    write?: (child: ReturnType<typeof spawn>, stderr: () => string) => void;
  } = {},
) {
  const [cmd, ...rest] = options.command ?? [process.execPath, 'cli/dev.js', ...args];
  const child = spawn(cmd!, rest, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  options.write?.(child, () => stderr + stdout);
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, stdout, stderr })),
  );
}

describe('maestro run (a real process): approval gates', () => {
  it('should take its answer from piped stdin', async () => {
    const dir = tempDir();
    const r = await bin(['run', 'examples/approval.yaml', '--state-dir', dir, '--pretty'], {
      write: (c) => c.stdin!.end('approve\n'),
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${RESULT}\n`);
    expect(r.stderr).toContain('approved by stdin');
  });

  it('should fail at once, saying how to answer, with stdin closed', async () => {
    const started = Date.now();
    const r = await bin(['run', 'examples/approval.yaml', '--state-dir', tempDir(), '--pretty'], {
      write: (c) => c.stdin!.end(),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "stage 'plan' waits for approval and nobody can answer it: run with --approve-all",
    );
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it.skipIf(!hasScript())(
    'should ask at a terminal prompt (a pseudo-terminal, through script(1)) and take the answer typed there',
    async () => {
      const dir = tempDir();
      const command = `${process.execPath} cli/dev.js run examples/approval.yaml --state-dir ${dir}`;
      const r = await bin([], {
        command: ['script', '-q', '-e', '-c', command, '/dev/null'],
        write: (c, seen) => {
          const timer = setInterval(() => {
            if (!seen().includes('approve, reject [FEEDBACK] or stop? ')) return;
            clearInterval(timer);
            c.stdin!.write('reject shorter\r');
            const second = setInterval(() => {
              if (!seen().includes('(attempt 2) waits for approval')) return;
              clearInterval(second);
              c.stdin!.write('a\r');
            }, 50);
          }, 50);
        },
      });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(RESULT);
      const [log] = readdirSync(join(dir, 'missions'));
      expect(answers(EventLog.read(join(dir, 'missions', log!))).map((a) => a.slice(1))).toEqual([
        ['reject', 'shorter', 'terminal'],
        ['approve', undefined, 'terminal'],
      ]);
    },
  );
});

function hasScript(): boolean {
  return spawnSync('script', ['--version']).status === 0;
}
