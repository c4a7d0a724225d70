import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import { usageOf } from '../../cli/help.js';
import { captureIo, terminalIo } from '../helpers/captureIo.js';
import { EventLog } from '../../log/eventLog.js';
import { tempDir } from '../helpers/missions.js';

/** At a terminal: progress in words. */
const capture = terminalIo;

describe('maestro cli', () => {
  it('should say which agents failed calls or restarted after the summary, and give every agent in --json', async () => {
    const io = capture();
    const dir = tempDir();
    expect(await main(['run', 'examples/crash.yaml', '--state-dir', dir], io)).toBe(0);
    const summary = io.stderr.findIndex((l) => l.startsWith('mission succeeded: '));
    expect(summary).toBeGreaterThan(-1);
    expect(io.stderr.slice(summary + 1)).toEqual([
      "  agent researcher (research): 2 call(s), 1 failed, 1 restart(s); last error: provider 'flaky': http 500: connection reset by peer",
    ]);
    const json = captureIo();
    expect(await main(['run', 'examples/crash.yaml', '--state-dir', dir, '--json'], json)).toBe(0);
    const out = JSON.parse(json.stdout.join('\n'));
    expect(
      out.agents.map((a: { agent: string; calls: number; restarts: number }) => [
        a.agent,
        a.calls,
        a.restarts,
      ]),
    ).toEqual([
      ['researcher', 2, 1],
      ['summarizer', 1, 0],
    ]);
  });

  it('should run the hello example and print the result on stdout, progress on stderr, exit 0', async () => {
    const io = capture();
    const dir = tempDir();
    const code = await main(
      ['run', 'examples/hello.yaml', '--state-dir', dir, '--mission-id', 'h1'],
      io,
    );
    expect(code).toBe(0);
    expect(io.stdout.join('\n')).toContain('### editor\nWorkers fall, then rise');
    expect(io.stderr.join('\n')).toContain('▶ stage 2/2 polish: editor, critic');
    expect(io.stderr.at(-1)).toMatch(/^mission succeeded: 3 calls, \d+ tokens/);
    expect(existsSync(join(dir, 'missions', 'h1.jsonl'))).toBe(true);
  });

  it('should show the crash example restarting its worker in the output and the event log', async () => {
    const io = capture();
    const dir = tempDir();
    const code = await main(
      ['run', 'examples/crash.yaml', '--state-dir', dir, '--mission-id', 'c1'],
      io,
    );
    expect(code).toBe(0);
    expect(io.stderr.join('\n')).toContain(
      "↻ supervisor stage/research restarts stage/research/agent/researcher after 200 ms (provider 'flaky': http 500: connection reset by peer)",
    );
    const events = EventLog.read(join(dir, 'missions', 'c1.jsonl'));
    expect(events.some((e) => e.type === 'supervisor.decision' && e.action === 'restart')).toBe(
      true,
    );
  });

  it("should keep run's stderr in one dialect: the logger's records in the progress words at a terminal, JSON lines otherwise", async () => {
    const io = capture();
    // The plan example's deploy task gives up: a supervisor decision logged at error level.
    expect(
      await main(['run', 'examples/plan.yaml', '--state-dir', tempDir(), '--mission-id', 'pl'], io),
    ).toBe(0);
    expect(io.stderr.filter((l) => l.trimStart().startsWith('{'))).toEqual([]);
    // Said once, as the progress line (the log record of the same decision is not repeated).
    expect(io.stderr.filter((l) => l.includes('gives up: reached_max_restart_intensity'))).toEqual([
      '  ■ supervisor stage/deliver/plan/planner/tasks/task/deploy gives up: reached_max_restart_intensity (last: stage/deliver/plan/planner/tasks/task/deploy/agent/operator)',
    ]);
    const piped = captureIo();
    expect(
      await main(
        ['run', 'examples/plan.yaml', '--state-dir', tempDir(), '--mission-id', 'pl'],
        piped,
      ),
    ).toBe(0);
    const lines = piped.stderr.slice(0, -1); // the last is run's summary
    expect(lines.length).toBeGreaterThan(20);
    for (const l of lines) expect(() => JSON.parse(l), l).not.toThrow();
    expect(lines.map((l) => JSON.parse(l).type)).toContain('plan.revised');
  });

  it('should print a machine-readable result with --json', async () => {
    const io = capture();
    const code = await main(
      ['run', 'examples/hello.yaml', '--json', '--quiet', '--state-dir', tempDir()],
      io,
    );
    expect(code).toBe(0);
    expect(io.stderr).toEqual([]);
    const out = JSON.parse(io.stdout.join('\n'));
    expect(out).toMatchObject({ name: 'hello', status: 'succeeded', usage: { samples: 3 } });
    expect(out.stages).toHaveLength(2);
    expect(out.eventLog).toMatch(/missions\/hello-.*\.jsonl$/);
  });

  it('should exit 1 and say which budget when a mission runs out', async () => {
    const dir = tempDir();
    const file = join(dir, 'm.yaml');
    writeFileSync(
      file,
      'name: b\nproviders:\n  p: { kind: scripted, responses: ["' +
        'y'.repeat(200) +
        '"] }\nagents: [{ id: a, provider: p }]\n' +
        'stages:\n  - { name: one, prompt: go, agents: [a] }\n  - { name: two, prompt: go, agents: [a] }\nbudget: { samples: 1 }\n',
    );
    const io = capture();
    const code = await main(['run', file, '--state-dir', dir, '--mission-id', 'b1'], io);
    expect(code).toBe(1);
    // Said once, by the progress, then the summary: no `maestro: mission failed: …` to repeat it.
    expect(io.stderr.slice(-2)).toEqual([
      "mission failed: budget_exceeded: samples at 'mission/b1' (used 1 of 1)",
      expect.stringMatching(
        /^mission failed: 1 call, \d+ tokens, \$0\.0000, \d+ ms; events in .*b1\.jsonl$/,
      ),
    ]);
    expect(
      io.stderr.filter(
        (l) => l.startsWith('mission failed: budget_exceeded') || l.startsWith('maestro:'),
      ),
    ).toHaveLength(1);
    // With --quiet there is no progress (only the error-level log records): run's own line says how it ended.
    const quiet = capture();
    expect(
      await main(['run', file, '--state-dir', dir, '--mission-id', 'b2', '--quiet'], quiet),
    ).toBe(1);
    expect(quiet.stderr).toEqual([
      "■ supervisor mission/b2 gives up: start_error: budget_exceeded: samples at 'mission/b2' (used 1 of 1) (last: stage/two)",
      "maestro: mission failed: budget_exceeded: samples at 'mission/b2' (used 1 of 1)",
    ]);
    // Progress as JSON lines: stderr stays JSON to its end, the summary a run.summary object.
    const piped = captureIo();
    expect(await main(['run', file, '--state-dir', dir, '--mission-id', 'b3'], piped)).toBe(1);
    const objects = piped.stderr.map((l) => JSON.parse(l) as { type: string });
    expect(objects.slice(-2)).toMatchObject([
      { type: 'mission.finished', status: 'failed', error: { reason: 'budget_exceeded' } },
      { type: 'run.summary', mission: 'b3', status: 'failed', calls: 1 },
    ]);
  });

  it('should say once that a mission could not start, at a terminal, with --quiet and as JSON lines', async () => {
    const dir = tempDir();
    // Nothing listens on port 1: the mission cannot reach NATS, so it cannot start.
    const args = ['run', 'examples/hello.yaml', '--state-dir', dir, '--nats', 'nats://127.0.0.1:1'];
    const why = "cannot connect to nats 'nats://127.0.0.1:1': connection refused";
    const io = capture();
    expect(await main([...args, '--mission-id', 's1'], io)).toBe(1);
    expect(io.stderr).toEqual([
      `✗ mission s1 could not start: ${why}`,
      'mission failed: start_failed',
    ]);
    const quiet = capture();
    expect(await main([...args, '--mission-id', 's2', '--quiet'], quiet)).toBe(1);
    expect(quiet.stderr).toEqual([`maestro: ${why}`]);
    const piped = captureIo();
    expect(await main([...args, '--mission-id', 's3'], piped)).toBe(1);
    expect(piped.stderr.map((l) => (JSON.parse(l) as { type: string }).type)).toEqual([
      'mission.submitted',
      'mission.start_failed',
      'mission.finished',
    ]);
  });

  it('should exit 2 with file:line path: message for a bad mission file and write nothing', async () => {
    const dir = tempDir();
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      'name: x\nproviders:\n  p: { kind: scripted, responses: [hi] }\nagents:\n  - id: a\n    provider: q\nstages:\n  - name: s\n    prompt: hi\n    agents: [a]\n    colour: red\n',
    );
    const io = capture();
    const code = await main(['run', file, '--state-dir', join(dir, 'state')], io);
    expect(code).toBe(2);
    expect(io.stderr).toEqual([
      `maestro: ${file}:6 agents[0].provider: unknown provider 'q' (known: p)\n${file}:11 stages[0].colour: unknown key`,
    ]);
    expect(existsSync(join(dir, 'state'))).toBe(false);
  });

  it('should exit 2 for a missing file, an unknown command and an unknown option', async () => {
    let io = capture();
    expect(await main(['run', 'no/such.yaml'], io)).toBe(2);
    expect(io.stderr).toEqual([
      'maestro: no/such.yaml: cannot read file: no such file or directory',
    ]);
    io = capture();
    expect(await main(['launch'], io)).toBe(2);
    expect(io.stderr).toEqual(["maestro: unknown command 'launch' (try: maestro --help)"]);
    io = capture();
    expect(await main(['validate', 'examples/hello.yaml', '--json', '--quiet'], io)).toBe(2);
    expect(io.stderr).toEqual(['maestro validate: unknown flag --quiet', usageOf('validate')]);
    io = capture();
    expect(await main(['run'], io)).toBe(2);
    expect(io.stderr).toEqual(['maestro run: expected one FILE, got 0 (try: maestro run --help)']);
  });

  it("should refuse a bad flag with Maestro's own message and the command's usage, not parseArgs' text", async () => {
    let io = capture();
    expect(await main(['run', 'examples/hello.yaml', '--foo'], io)).toBe(2);
    expect(io.stderr).toHaveLength(2);
    expect(io.stderr[0]).toBe('maestro run: unknown flag --foo');
    // The usage and the flags, not the prose of --help.
    expect(io.stderr[1]).toMatch(
      /^Usage: maestro run FILE \[options\]\n\nOptions:\n {2}--json {15}print a machine-readable result/,
    );
    expect(io.stderr[1]).toContain('\nNATS connection:\n');
    expect(io.stderr[1]).not.toContain('Runs a mission through its supervision tree');
    expect(io.stderr[1]!.endsWith('\n\n(maestro run --help for more)')).toBe(true);

    io = capture();
    expect(await main(['submit', 'm.yaml', '--follw'], io)).toBe(2);
    expect(io.stderr[0]).toBe('maestro submit: unknown flag --follw');
    expect(io.stderr[1]).toMatch(
      /^Usage: maestro submit FILE .*\n\nOptions:\n {2}--input TEXT .*\n[\s\S]*\n\nDaemon options:\n {2}--url URL /,
    );

    const refusals: [string[], string][] = [
      [['run', 'examples/hello.yaml', '--input'], 'maestro run: --input needs a value'],
      [
        ['run', '--input', '--json', 'examples/hello.yaml'],
        'maestro run: --input needs a value (got the flag --json; write --input=--json if that is the value)',
      ],
      [['submit', 'm.yaml', '--follow=yes'], "maestro submit: --follow takes no value (got 'yes')"],
      [['status', '--follow'], 'maestro status: unknown flag --follow'],
      [['run', 'examples/hello.yaml', '-z'], 'maestro run: unknown flag -z'],
    ];
    for (const [argv, message] of refusals) {
      io = capture();
      expect(await main(argv, io), argv.join(' ')).toBe(2);
      expect(io.stderr[0]).toBe(message);
      expect(io.stderr[1]).toMatch(new RegExp(`^Usage: maestro ${argv[0]} `));
    }
    io = capture();
    expect(await main(['--bogus'], io)).toBe(2);
    expect(io.stderr).toEqual(['maestro: unknown flag --bogus']);
    // `--input=--json` is a value, given so.
    io = capture();
    expect(await main(['run', 'no/such.yaml', '--input=--json'], io)).toBe(2);
    expect(io.stderr).toEqual([
      'maestro: no/such.yaml: cannot read file: no such file or directory',
    ]);
  });

  it('should validate a good file, and report every problem of a bad one as JSON with --json', async () => {
    let io = capture();
    expect(await main(['validate', 'examples/crash.yaml'], io)).toBe(0);
    expect(io.stdout).toEqual([
      "ok: examples/crash.yaml (mission 'crash-and-restart': 2 agents, 2 stages)",
    ]);
    const dir = tempDir();
    const file = join(dir, 'bad.json');
    writeFileSync(
      file,
      '{\n  "name": "x",\n  "providers": {},\n  "agents": [],\n  "stages": []\n}\n',
    );
    io = capture();
    expect(await main(['validate', file, '--json'], io)).toBe(2);
    expect(JSON.parse(io.stdout[0]!).issues).toEqual([
      { path: 'providers', message: 'expected at least 1 provider', line: 3 },
      { path: 'agents', message: 'expected at least 1 agent', line: 4 },
      { path: 'stages', message: 'expected at least 1 stage', line: 5 },
    ]);
  });

  it('should print help for the program and for each command', async () => {
    const io = capture();
    expect(await main(['--help'], io)).toBe(0);
    expect(io.stdout[0]).toContain('Usage: maestro <command> [options]');
    expect(await main(['run', '--help'], io)).toBe(0);
    expect(io.stdout[1]).toContain('Usage: maestro run FILE [options]');
    expect(await main(['help', 'validate'], io)).toBe(0);
    expect(io.stdout[2]).toContain('Usage: maestro validate FILE');
  });

  it('should print a JSON Schema that describes missions and rejects unknown keys', async () => {
    const io = capture();
    expect(await main(['schema'], io)).toBe(0);
    const schema = JSON.parse(io.stdout[0]!);
    expect(schema.title).toBe('Maestro mission');
    expect(schema.required).toEqual(
      expect.arrayContaining(['name', 'providers', 'agents', 'stages']),
    );
    expect(schema.additionalProperties).toBe(false);
    const out = join(tempDir(), 's.json');
    expect(await main(['schema', '--out', out], capture())).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(schema);
  });
});

describe('mission.schema.json', () => {
  it('should be the schema `maestro schema` prints (regenerate: node cli/bin.js schema --out mission.schema.json)', async () => {
    const io = capture();
    await main(['schema'], io);
    expect(JSON.parse(readFileSync('mission.schema.json', 'utf8'))).toEqual(
      JSON.parse(io.stdout[0]!),
    );
  });
});

describe('examples/', () => {
  it('should hold only valid mission files', async () => {
    const { readdirSync } = await import('node:fs');
    const files = readdirSync('examples').filter((f) => /\.(ya?ml|json)$/.test(f));
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const f of files) {
      const io = capture();
      expect(await main(['validate', join('examples', f)], io), f).toBe(0);
    }
  });

  it('should finish the simulated pool with every agent answered, its crashes restarted (same seed, same run)', async () => {
    const io = capture();
    const dir = tempDir();
    expect(
      await main(
        [
          'run',
          'examples/simulated.yaml',
          '--json',
          '--quiet',
          '--state-dir',
          dir,
          '--mission-id',
          's1',
        ],
        io,
      ),
    ).toBe(0);
    const out = JSON.parse(io.stdout.join('\n'));
    expect(out.stages[0].answers).toHaveLength(5);
    const restarts = EventLog.read(join(dir, 'missions', 's1.jsonl')).filter(
      (e) => e.type === 'supervisor.decision' && e.action === 'restart',
    );
    expect(restarts.length).toBe(out.usage.samples - 5);
  });
});
