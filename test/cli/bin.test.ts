import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/missions.js';

const run = promisify(execFile);

describe('maestro bin (a real process)', () => {
  it('should run the README first command, `npm start`, offline and print the result', async () => {
    const { stdout, stderr } = await run('npm', ['start', '--silent'], { env: { ...process.env, MAESTRO_STATE_DIR: tempDir() } });
    expect(stdout).toContain('### critic\nChildren fall and rise');
    expect(stderr).toContain('mission succeeded: 3 calls');
  });

  it('should exit 2 without a stack trace on a missing file', async () => {
    const err = await run(process.execPath, ['cli/bin.js', 'run', 'missing.yaml']).catch((e: { code: number; stderr: string }) => e);
    expect(err).toMatchObject({ code: 2, stderr: 'maestro: missing.yaml: cannot read file: no such file or directory\n' });
  });
});
