import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { mulberry32, pick, type Random } from '../../actors/providers/random.js';
import { ConfigError } from '../../kernel/errors.js';
import { parseConfigText } from '../../config/loader.js';
import { missionSchema } from '../../config/mission.js';

const examplesDir = fileURLToPath(new URL('../../examples/', import.meta.url));
const examples = readdirSync(examplesDir)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

type Mutation = (lines: string[], random: Random) => string[];

/** What an attacker's fuzzer does to a mission: structure broken line by line, and bombs. */
const mutations: Record<string, Mutation> = {
  deleteLine: (lines, r) => lines.filter((_, i) => i !== pick(r, lines.length)),
  duplicateLine: (lines, r) => {
    const i = pick(r, lines.length);
    return [...lines.slice(0, i + 1), lines[i]!, ...lines.slice(i + 1)];
  },
  reindent: (lines, r) => {
    const i = pick(r, lines.length);
    const shift = pick(r, 9) - 4;
    const line = lines[i]!;
    const out = [...lines];
    out[i] =
      shift >= 0
        ? ' '.repeat(shift) + line
        : line.slice(Math.min(-shift, line.length - line.trimStart().length));
    return out;
  },
  swapScalars: (lines, r) => {
    const withValue = lines.map((l, i) => [l, i] as const).filter(([l]) => /:\s+\S/.test(l));
    if (withValue.length < 2) return lines;
    const [a, ia] = withValue[pick(r, withValue.length)]!;
    const [b, ib] = withValue[pick(r, withValue.length)]!;
    const value = (l: string) => l.slice(l.indexOf(':') + 1);
    const out = [...lines];
    out[ia] = a.slice(0, a.indexOf(':') + 1) + value(b);
    out[ib] = b.slice(0, b.indexOf(':') + 1) + value(a);
    return out;
  },
  insertCharacter: (lines, r) => {
    const i = pick(r, lines.length);
    const line = lines[i]!;
    const at = pick(r, line.length + 1);
    const out = [...lines];
    out[i] = line.slice(0, at) + '"\':{}[],&*!|>-?#%@`\t'[pick(r, 21)] + line.slice(at);
    return out;
  },
  deepNesting: (lines, r) => {
    const i = pick(r, lines.length);
    const depth = 50 + pick(r, 5000);
    const open = r() < 0.5 ? '[' : '{a: ';
    const close = open === '[' ? ']' : '}';
    const bomb = `${' '.repeat(lines[i]!.length - lines[i]!.trimStart().length)}deep: ${open.repeat(depth)}1${close.repeat(depth)}`;
    return [...lines.slice(0, i), bomb, ...lines.slice(i)];
  },
  blockNesting: (lines, r) => {
    const depth = 50 + pick(r, 3000);
    return [...lines, 'nested:', `  ${'- '.repeat(depth)}x`];
  },
  hugeArray: (lines, r) => [
    ...lines,
    `items: [${Array(100_000 + pick(r, 400_000))
      .fill('1')
      .join(',')}]`,
  ],
  truncate: (lines, r) => lines.slice(0, pick(r, lines.length)),
  alias: (lines, r) => {
    const i = pick(r, lines.length);
    const out = [...lines];
    out[i] = `${lines[i]!} &a`;
    return [...out, 'x: *a', 'y: *b'];
  },
};

interface Outcome {
  file: string;
  mutation: string;
  ms: number;
  error?: unknown;
}

function run(file: string, text: string, mutation: string): Outcome {
  const start = performance.now();
  try {
    parseConfigText(text, file, missionSchema, { env: {} });
    return { file, mutation, ms: performance.now() - start };
  } catch (error) {
    return { file, mutation, ms: performance.now() - start, error };
  }
}

/** Every mutant of every example, seeded: the same 50 per file on every run. */
function mutants(perFile: number, json: boolean): Outcome[] {
  const names = Object.keys(mutations);
  const outcomes: Outcome[] = [];
  for (const [n, example] of examples.entries()) {
    const source = readFileSync(examplesDir + example, 'utf8');
    const text = json ? JSON.stringify(parseYaml(source), null, 2) : source;
    const file = json ? example.replace(/yaml$/, 'json') : example;
    const random = mulberry32(1000 * (n + 1) + (json ? 7 : 0));
    for (let k = 0; k < perFile; k++) {
      const mutation = names[pick(random, names.length)]!;
      outcomes.push(run(file, mutations[mutation]!(text.split('\n'), random).join('\n'), mutation));
    }
  }
  return outcomes;
}

/** Refusals that cannot name a line: an empty document has none. */
const NO_LINE = ['file is empty'];

function check(outcomes: Outcome[]): void {
  const crashes = outcomes.filter(
    (o) => o.error !== undefined && !(o.error instanceof ConfigError),
  );
  expect(crashes.map((o) => `${o.file} ${o.mutation}: ${String(o.error)}`)).toEqual([]);
  const slow = outcomes.filter((o) => o.ms > 1000);
  expect(slow.map((o) => `${o.file} ${o.mutation}: ${Math.round(o.ms)} ms`)).toEqual([]);
  const unlocated = outcomes.flatMap((o) => {
    if (!(o.error instanceof ConfigError)) return [];
    const prefix = new RegExp(`^${o.file.replace('.', '\\.')}:\\d+[ :]`);
    return o.error.message
      .split('\n')
      .filter((line) => !prefix.test(line) && !NO_LINE.some((m) => line === `${o.file}: ${m}`));
  });
  expect(unlocated).toEqual([]);
  // The fuzzer must have refused something: a run where every mutant passed tested nothing.
  expect(outcomes.filter((o) => o.error instanceof ConfigError).length).toBeGreaterThan(
    outcomes.length / 3,
  );
}

describe('config loader under fuzzing', () => {
  it('should refuse every mutated YAML mission with a ConfigError at FILE:LINE, within a second each', () => {
    check(mutants(50, false));
  }, 60_000);

  it('should do the same for the missions as JSON', () => {
    check(mutants(30, true));
  }, 60_000);
});
