import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError } from '../../kernel/errors.js';
import {
  checkConfigFile,
  checkConfigText,
  formatPath,
  loadConfigFile,
  parseConfigText,
} from '../../config/loader.js';

const Agent = z.strictObject({
  id: z.string(),
  model: z.string(),
  temperature: z.number().min(0).max(2).default(0.2),
});
const Provider = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('openai'), baseUrl: z.string(), apiKey: z.string().optional() }),
  z.strictObject({
    kind: z.literal('cli'),
    command: z.string(),
    args: z.array(z.string()).default([]),
  }),
]);
const Mission = z
  .strictObject({
    name: z.string(),
    mode: z.enum(['sequential', 'parallel']).default('sequential'),
    provider: Provider,
    stages: z.array(
      z.strictObject({
        id: z.string(),
        agents: z.array(Agent).min(1, 'expected at least 1 agent'),
      }),
    ),
  })
  .refine((m) => new Set(m.stages.map((s) => s.id)).size === m.stages.length, {
    message: 'stage ids must be unique',
    path: ['stages'],
  });

const fixture = (name: string): string =>
  fileURLToPath(new URL(`../fixtures/config/${name}`, import.meta.url));

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

async function loadError(file: string): Promise<ConfigError> {
  const err: unknown = await loadConfigFile(file, Mission, { env: {} }).then(
    () => new Error('expected a ConfigError'),
    (e: unknown) => e,
  );
  if (err instanceof ConfigError) return err;
  throw err;
}

const parse = (text: string, env: Record<string, string> = {}) =>
  parseConfigText(text, 'm.yaml', Mission, { env });
const messageOf = (text: string, env: Record<string, string> = {}): string =>
  errorOf(() => parse(text, env)).message;

describe('loadConfigFile', () => {
  it('should load YAML, interpolate and apply defaults', async () => {
    const mission = await loadConfigFile(fixture('mission.yaml'), Mission, { env: {} });
    expect(mission).toEqual({
      name: 'demo',
      mode: 'sequential',
      provider: { kind: 'openai', baseUrl: 'http://localhost:11434/v1' },
      stages: [
        {
          id: 'plan',
          agents: [
            { id: 'planner', model: 'gpt-4o', temperature: 0.2 },
            { id: 'critic', model: 'kimi', temperature: 0.7 },
          ],
        },
      ],
    });
  });

  it('should load valid JSON, ignoring a top-level $schema', async () => {
    const mission = await loadConfigFile(fixture('mission.json'), Mission, { env: {} });
    expect(mission.provider).toEqual({ kind: 'cli', command: 'codex', args: [] });
    expect(mission.stages[0]?.agents).toEqual([
      { id: 'planner', model: 'gpt-4o', temperature: 0.2 },
    ]);
  });

  it('should report invalid JSON with lines', async () => {
    const file = fixture('invalid.json');
    const err = await loadError(file);
    expect(err.message).toBe(
      `${file}:8 stages[0].agents[0].model: expected string, received number\n` +
        `${file}:12 colour: unknown key`,
    );
    expect(err.file).toBe(file);
    expect(err.issues).toEqual([
      { path: 'stages[0].agents[0].model', message: 'expected string, received number', line: 8 },
      { path: 'colour', message: 'unknown key', line: 12 },
    ]);
  });

  it('should report a missing file', async () => {
    const file = fixture('missing.yaml');
    const err = await loadError(file);
    expect(err.message).toBe(`${file}: cannot read file: no such file or directory`);
    expect(err.issues).toEqual([
      { path: '', message: 'cannot read file: no such file or directory' },
    ]);
  });

  it('should report an unreadable path with its errno message', async () => {
    const dir = fixture('');
    expect((await loadError(dir)).message).toBe(
      `${dir}: cannot read file: illegal operation on a directory`,
    );
  });

  it('should report an empty file', async () => {
    const file = fixture('empty.yaml');
    expect((await loadError(file)).message).toBe(`${file}: file is empty`);
  });

  it('should report a YAML syntax error with its line', async () => {
    const file = fixture('bad.yaml');
    expect((await loadError(file)).message).toBe(
      `${file}:5: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]`,
    );
  });

  it('should report a duplicate key at the second occurrence', async () => {
    const file = fixture('duplicate.yaml');
    expect((await loadError(file)).message).toBe(
      `${file}:5: not valid YAML: Map keys must be unique`,
    );
  });
});

describe('parseConfigText', () => {
  const valid =
    'name: x\nprovider:\n  kind: cli\n  command: codex\nstages:\n  - id: a\n    agents:\n      - id: q\n        model: m\n';

  it('should return the parsed output', () => {
    expect(parse(valid).stages[0]?.agents[0]?.temperature).toBe(0.2);
  });

  it('should treat a file of comments as empty', () => {
    expect(messageOf('# nothing here\n')).toBe('m.yaml: file is empty');
  });

  it('should reject a top level that is not a mapping', () => {
    expect(messageOf('- a\n- b\n')).toBe('m.yaml:1: expected a mapping at the top level');
  });

  it('should report JSON syntax errors with their line', () => {
    const err = errorOf(() =>
      parseConfigText('{\n  "name": "x"\n  "stages": []\n}\n', 'm.json', Mission),
    );
    expect(err.message).toBe('m.json:3: not valid YAML: Missing , between flow map items');
  });

  it('should report an unknown key at the line of the key', () => {
    expect(messageOf(valid.replace('model: m', 'model: m\n        colour: red'))).toBe(
      'm.yaml:10 stages[0].agents[0].colour: unknown key',
    );
  });

  it('should report each unknown key of one object separately', () => {
    expect(messageOf(`${valid}extra: 1\nmore: 2\n`)).toBe(
      'm.yaml:10 extra: unknown key\nm.yaml:11 more: unknown key',
    );
  });

  it('should report a missing required field at the line of its parent', () => {
    expect(messageOf(valid.replace('        model: m\n', ''))).toBe(
      'm.yaml:8 stages[0].agents[0].model: required',
    );
    expect(messageOf(valid.replace('  command: codex\n', ''))).toBe(
      'm.yaml:2 provider.command: required',
    );
  });

  it('should report a wrong type with the expected and received types', () => {
    expect(messageOf(valid.replace('model: m', 'model: 4'))).toBe(
      'm.yaml:9 stages[0].agents[0].model: expected string, received number',
    );
  });

  it('should list the options of an enum', () => {
    expect(messageOf(`${valid}mode: fast\n`)).toBe(
      "m.yaml:10 mode: expected one of 'sequential' | 'parallel'",
    );
  });

  it('should name the discriminator of a union', () => {
    expect(messageOf(valid.replace('kind: cli', 'kind: ollama'))).toBe(
      "m.yaml:3 provider.kind: expected kind to be one of 'openai' | 'cli'",
    );
  });

  it('should check the branch that the discriminator selects', () => {
    expect(messageOf(valid.replace('kind: cli', 'kind: openai'))).toBe(
      'm.yaml:2 provider.baseUrl: required\nm.yaml:4 provider.command: unknown key',
    );
  });

  it('should report the issues inside the one alternative of a plain union the value fits, at their fields', () => {
    const Gate = z.object({
      gate: z.union([
        z.literal(true),
        z.strictObject({ timeoutMs: z.int().positive(), onTimeout: z.enum(['approve', 'reject']) }),
      ]),
    });
    const errorFor = (text: string) => errorOf(() => parseConfigText(text, 'g.yaml', Gate)).message;
    expect(errorFor('gate:\n  timeoutMs: 0\n  onTimeout: maybe\n  extra: 1\n')).toBe(
      [
        'g.yaml:2 gate.timeoutMs: expected more than 0',
        "g.yaml:3 gate.onTimeout: expected one of 'approve' | 'reject'",
        'g.yaml:4 gate.extra: unknown key',
      ].join('\n'),
    );
    // A value that fits no alternative's type still gets the alternatives named.
    expect(errorFor('gate: false\n')).toBe(
      'g.yaml:1 gate: expected true | object, received boolean',
    );
  });

  it('should pass custom messages through unchanged', () => {
    expect(messageOf(valid.replace(/agents:[\s\S]*$/, 'agents: []\n'))).toBe(
      'm.yaml:7 stages[0].agents: expected at least 1 agent',
    );
    expect(messageOf(`${valid}  - id: a\n    agents: [{ id: r, model: m }]\n`)).toBe(
      'm.yaml:5 stages: stage ids must be unique',
    );
  });

  it('should report every problem in one error, in line order', () => {
    const text = [
      'name: 7',
      'provider: { kind: cli, command: codex, shell: true }',
      'mode: fast',
      'stages:',
      '  - id: a',
      '    agents: []',
      '  - id: b',
      '    agents:',
      '      - { id: q, model: m, temperature: 3 }',
    ].join('\n');
    const err = errorOf(() => parse(text));
    expect(err.message).toBe(
      [
        'm.yaml:1 name: expected string, received number',
        'm.yaml:2 provider.shell: unknown key',
        "m.yaml:3 mode: expected one of 'sequential' | 'parallel'",
        'm.yaml:6 stages[0].agents: expected at least 1 agent',
        'm.yaml:9 stages[1].agents[0].temperature: expected at most 2',
      ].join('\n'),
    );
    expect(err.issues).toHaveLength(5);
  });

  describe('environment interpolation', () => {
    const text =
      'name: ${NAME}\nprovider:\n  kind: openai\n  baseUrl: ${URL:-http://localhost/v1}\n  apiKey: $${KEY}\nstages: []\n';

    it('should substitute set variables, defaults and escapes', () => {
      expect(parse(text, { NAME: 'demo' })).toEqual({
        name: 'demo',
        mode: 'sequential',
        provider: { kind: 'openai', baseUrl: 'http://localhost/v1', apiKey: '${KEY}' },
        stages: [],
      });
      expect(parse(text, { NAME: 'demo', URL: 'https://api.example' }).provider).toMatchObject({
        baseUrl: 'https://api.example',
      });
    });

    it('should report every unset variable at its path and line', () => {
      const err = errorOf(() => parse(text.replace('$${KEY}', '${KEY}')));
      expect(err.message).toBe(
        "m.yaml:1 name: environment variable 'NAME' is not set\nm.yaml:5 provider.apiKey: environment variable 'KEY' is not set",
      );
    });

    it('should report unset variables together with schema issues', () => {
      expect(messageOf(`${text}mode: fast\n`)).toBe(
        "m.yaml:1 name: environment variable 'NAME' is not set\nm.yaml:7 mode: expected one of 'sequential' | 'parallel'",
      );
    });

    it('should never let a value inject YAML structure', () => {
      expect(parse(text, { NAME: 'x\nmode: parallel\nevil: [1]' })).toMatchObject({
        name: 'x\nmode: parallel\nevil: [1]',
        mode: 'sequential',
      });
    });
  });

  it('should report a circular alias instead of overflowing the stack', () => {
    expect(messageOf(`${valid}mode: &m [*m]\n`)).toBe(
      'm.yaml:10 mode[0]: circular reference: an alias inside its own anchor\n' +
        "m.yaml:10 mode: expected one of 'sequential' | 'parallel'",
    );
  });
});

describe('formatPath', () => {
  it('should dot keys, bracket indices and quote odd keys', () => {
    expect(formatPath([])).toBe('');
    expect(formatPath(['stages', 0, 'agents'])).toBe('stages[0].agents');
    expect(formatPath(['env', 'a.b', 'x-y'])).toBe('env["a.b"].x-y');
  });
});

describe('checkConfigText and checkConfigFile (report, with warnings, instead of throwing)', () => {
  const valid =
    'name: x\nprovider:\n  kind: cli\n  command: codex\nstages:\n  - id: a\n    agents:\n      - id: q\n        model: m\n';
  // a warning about each stage id, to see where warnings are placed
  const warnings = (value: unknown) =>
    ((value as { stages?: { id?: string }[] }).stages ?? []).map((s, i) => ({
      path: ['stages', i, 'id'],
      message: `about '${String(s.id)}'`,
    }));

  it('should return the value, no issues, and the warnings at their lines', () => {
    const report = checkConfigText(valid, 'm.yaml', Mission, { env: {}, warnings });
    expect(report.issues).toEqual([]);
    expect(report.value?.stages[0]?.id).toBe('a');
    expect(report.warnings).toEqual([{ path: 'stages[0].id', message: "about 'a'", line: 6 }]);
  });

  it('should give the warnings with the issues when the file is invalid, and no value', () => {
    const report = checkConfigText(`${valid}colour: red\n`, 'm.yaml', Mission, {
      env: {},
      warnings,
    });
    expect(report.value).toBeUndefined();
    expect(report.issues).toEqual([{ path: 'colour', message: 'unknown key', line: 10 }]);
    expect(report.warnings).toEqual([{ path: 'stages[0].id', message: "about 'a'", line: 6 }]);
  });

  it('should report an unreadable file as an issue, not throw', async () => {
    const file = fixture('missing.yaml');
    expect(await checkConfigFile(file, Mission, { env: {}, warnings })).toEqual({
      issues: [{ path: '', message: 'cannot read file: no such file or directory' }],
      warnings: [],
    });
  });
});
