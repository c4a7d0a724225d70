import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { tempDir } from '../helpers/missions.js';

const run = promisify(execFile);

// `npm start` (the compiled bin, from dist/) is tested in test/package/pack.test.ts.
describe('maestro from the sources (cli/dev.js, a real process)', () => {
  it('should exit 2 without a stack trace on a missing file', async () => {
    const err = await run(process.execPath, ['cli/dev.js', 'run', 'missing.yaml']).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(err).toMatchObject({
      code: 2,
      stderr: 'maestro: missing.yaml: cannot read file: no such file or directory\n',
    });
  });
});

describe('maestro run and Ctrl-C', () => {
  it('should stop a running mission on SIGINT, report it stopped and exit 1 without waiting for the call', async () => {
    const { spawn } = await import('node:child_process');
    const { writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const dir = tempDir();
    const file = join(dir, 'slow.yaml');
    writeFileSync(
      file,
      'name: slow\nproviders:\n  p: { kind: scripted, responses: [{ text: late, delayMs: 60000 }] }\nagents: [{ id: a, provider: p }]\nstages: [{ name: s, prompt: go, agents: [a] }]\n',
    );
    // stderr is a pipe here: --pretty for the progress in words a person at a terminal sees.
    const child = spawn(process.execPath, [
      'cli/dev.js',
      'run',
      file,
      '--state-dir',
      dir,
      '--pretty',
    ]);
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    await vi.waitFor(() => expect(stderr).toContain('▶ stage 1/1 s'), { timeout: 10_000 });
    const started = Date.now();
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(code).toBe(1);
    expect(Date.now() - started).toBeLessThan(5000);
    // Said once, by the progress line of the mission's end, then the summary.
    expect(stderr).toMatch(/\nmission failed: stopped: interrupted\nmission failed: 1 call, .*\n$/);
    expect(stderr).not.toContain('maestro: mission failed');
    expect(stderr).not.toContain('TransportClosedError');
  });
});
