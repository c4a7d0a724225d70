import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/missions.js';

describe('maestro run: a secret the model echoes back', () => {
  it('should be masked in the printed result, as text and as --json, as in the event log', () => {
    const key = 'sk-live-run-0123456789abcdef';
    const file = join(tempDir(), 'echo.yaml');
    // A cli "model" that answers with its prompt: the key the prompt interpolates comes back.
    writeFileSync(
      file,
      `name: echo
providers:
  say: { kind: cli, command: /bin/echo, args: ["{prompt}"] }
agents: [{ id: a, provider: say }]
stages: [{ name: s, prompt: "my key is \${MY_API_KEY}", agents: [a] }]
`,
    );
    const run = (json: boolean) =>
      spawnSync(
        process.execPath,
        [
          'cli/dev.js',
          'run',
          file,
          '--quiet',
          '--state-dir',
          tempDir(),
          ...(json ? ['--json'] : []),
        ],
        { encoding: 'utf8', env: { ...process.env, MY_API_KEY: key } },
      );
    const text = run(false);
    expect(text.status).toBe(0);
    expect(text.stdout).toBe('my key is [REDACTED]\n');
    const json = run(true);
    expect(json.status).toBe(0);
    expect(json.stdout).not.toContain(key);
    expect((JSON.parse(json.stdout) as { result: string }).result).toBe('my key is [REDACTED]');
  });
});
