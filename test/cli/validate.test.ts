import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main, type Io } from '../../cli/main.js';
import { validateCommand } from '../../cli/validate.js';
import { ConfigError } from '../../kernel/errors.js';
import { tempDir } from '../helpers/missions.js';

function capture(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t) };
}

function missionFile(text: string): string {
  const file = join(tempDir(), 'm.yaml');
  writeFileSync(file, text);
  return file;
}

const keyed =
  'name: keyed\n' +
  'providers:\n' +
  '  gpt: { kind: openai, model: m, apiKeyEnv: OPENROUTER_API_KEY }\n' +
  'agents: [{ id: a, provider: gpt }]\n' +
  'stages: [{ name: s, prompt: "{{input}}", agents: [a] }]\n';

// A schema error, an unknown provider and an unknown placeholder: one pass reports all three.
const threeProblems =
  'name: three\n' +
  'providers:\n' +
  '  gpt: { kind: openai, model: m, apiKeyEnv: OPENROUTER_API_KEY }\n' +
  'agents:\n' +
  '  - id: a\n' +
  '    provider: claude\n' +
  '    temperature: 9\n' +
  'stages:\n' +
  '  - name: s\n' +
  '    prompt: "Explain {{inptu}}"\n' +
  '    agents: [a]\n';

const unsetWarning = (file: string) =>
  `warning: ${file}:3 providers.gpt.apiKeyEnv: OPENROUTER_API_KEY is not set in this environment (it may be set where the mission runs)`;

describe('maestro validate', () => {
  it('should warn about an unset key variable and still exit 0 when nothing else is wrong', async () => {
    const file = missionFile(keyed);
    const io = capture();
    expect(await validateCommand(file, {}, io, {})).toBe(0);
    expect(io.stderr).toEqual([unsetWarning(file)]);
    expect(io.stdout).toEqual([`ok: ${file} (mission 'keyed': 1 agents, 1 stages)`]);
  });

  it('should not warn when the key variable is set here', async () => {
    const file = missionFile(keyed);
    const io = capture();
    expect(await validateCommand(file, {}, io, { OPENROUTER_API_KEY: 'sk-test' })).toBe(0);
    expect(io.stderr).toEqual([]);
  });

  it('should report a schema error, an unknown provider and an unknown placeholder in one run, with the warning', async () => {
    const file = missionFile(threeProblems);
    const io = capture();
    const err = await validateCommand(file, {}, io, {}).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toBe(
      `${file}:6 agents[0].provider: unknown provider 'claude' (known: gpt)\n` +
        `${file}:7 agents[0].temperature: expected at most 2\n` +
        `${file}:10 stages[0].prompt: unknown placeholder '{{inptu}}' (known: {{input}}, {{previous}})`,
    );
    expect(io.stderr).toEqual([unsetWarning(file)]);
    expect(io.stdout).toEqual([]);
  });

  it('should print issues and warnings as JSON with --json, exit 2 when invalid and 0 when only warned', async () => {
    const bad = missionFile(threeProblems);
    let io = capture();
    expect(await validateCommand(bad, { json: true }, io, {})).toBe(2);
    const warning = {
      path: 'providers.gpt.apiKeyEnv',
      message:
        'OPENROUTER_API_KEY is not set in this environment (it may be set where the mission runs)',
      line: 3,
    };
    expect(JSON.parse(io.stdout[0]!)).toEqual({
      ok: false,
      file: bad,
      issues: [
        { path: 'agents[0].provider', message: "unknown provider 'claude' (known: gpt)", line: 6 },
        { path: 'agents[0].temperature', message: 'expected at most 2', line: 7 },
        {
          path: 'stages[0].prompt',
          message: "unknown placeholder '{{inptu}}' (known: {{input}}, {{previous}})",
          line: 10,
        },
      ],
      warnings: [warning],
    });
    expect(io.stderr).toEqual([]);
    const good = missionFile(keyed);
    io = capture();
    expect(await validateCommand(good, { json: true }, io, {})).toBe(0);
    expect(JSON.parse(io.stdout[0]!)).toEqual({
      ok: true,
      file: good,
      name: 'keyed',
      warnings: [warning],
    });
  });

  it('should exit 2 through the command line with every problem after the prefix', async () => {
    const file = missionFile(
      threeProblems.replace('apiKeyEnv: OPENROUTER_API_KEY', 'apiKeyEnv: PATH'),
    );
    const io = capture();
    expect(await main(['validate', file], io)).toBe(2);
    expect(io.stderr).toEqual([
      `maestro: ${file}:6 agents[0].provider: unknown provider 'claude' (known: gpt)\n` +
        `${file}:7 agents[0].temperature: expected at most 2\n` +
        `${file}:10 stages[0].prompt: unknown placeholder '{{inptu}}' (known: {{input}}, {{previous}})`,
    ]);
  });
});
