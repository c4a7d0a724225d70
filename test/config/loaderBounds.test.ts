import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { scanConfigBounds } from '../../config/configBounds.js';
import { ConfigError } from '../../kernel/errors.js';
import { loadConfigFile, parseConfigText, type LoadOptions } from '../../config/loader.js';
import { missionSchema } from '../../config/mission.js';
import { tempDir } from '../helpers/missions.js';

const Loose = z.looseObject({ name: z.string() });

/** The refusal and how long it took: the bounds must answer fast, not only right. */
function refusal(text: string, options: LoadOptions = {}): { message: string; ms: number } {
  const start = performance.now();
  try {
    parseConfigText(text, 'm.yaml', Loose, { env: {}, ...options });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { message: err.message, ms: performance.now() - start };
  }
  throw new Error('expected a ConfigError');
}

const tooDeep = (file: string, line: number): string =>
  `${file}:${line}: nesting too deep: more than 64 levels of mappings and sequences`;
const flowNest = (depth: number): string => `${'['.repeat(depth)}1${']'.repeat(depth)}`;
const million = `[${Array(1_000_000).fill('1').join(',')}]`;

describe('config loader bounds: nesting', () => {
  it('should refuse 5,000 levels of flow sequences at their line, before the parser overflows its stack', () => {
    const { message, ms } = refusal(`name: a\nx: ${flowNest(5000)}\n`);
    expect(message).toBe(tooDeep('m.yaml', 2));
    expect(ms).toBeLessThan(3000);
  });

  it('should refuse 5,000 levels of compact block sequences and of flow mappings, in YAML and JSON', () => {
    expect(refusal(`name: a\nx:\n  ${'- '.repeat(5000)}1\n`).message).toBe(tooDeep('m.yaml', 3));
    expect(refusal(`name: a\nx: ${'{a: '.repeat(5000)}1${'}'.repeat(5000)}\n`).message).toBe(
      tooDeep('m.yaml', 2),
    );
    const json = `{\n  "name": "a",\n  "x": ${'{"a": '.repeat(5000)}1${'}'.repeat(5000)}\n}`;
    expect(() => parseConfigText(json, 'm.json', Loose)).toThrow(tooDeep('m.json', 3));
  });

  it('should name the line where indented block mappings cross the limit', () => {
    const lines = Array.from({ length: 5000 }, (_, i) => `${' '.repeat(i + 1)}k:`);
    const text = `name: a\nx:\n${lines.join('\n')} 1\n`;
    // x is level 1 on line 2, so the 65th level is the 64th indented key, on line 66
    expect(refusal(text, { limits: { maxBytes: 20e6 } }).message).toBe(tooDeep('m.yaml', 66));
  });

  it('should accept exactly the limit and refuse one more, counting block and flow levels together', () => {
    // name's mapping is level 1; x: [[...]] adds 63 levels
    expect(parseConfigText(`name: a\nx: ${flowNest(63)}\n`, 'm.yaml', Loose).name).toBe('a');
    expect(refusal(`name: a\nx: ${flowNest(64)}\n`).message).toBe(tooDeep('m.yaml', 2));
    expect(refusal('name: a\nx:\n  y: [[1]]\n', { limits: { maxDepth: 3 } }).message).toBe(
      'm.yaml:3: nesting too deep: more than 3 levels of mappings and sequences',
    );
  });

  it('should not count brackets in quoted strings, comments or block scalars', () => {
    const text = `name: a\nq: "${'['.repeat(100)}"\ns: '${'{'.repeat(100)}' # ${'['.repeat(100)}\nb: |\n  ${'- '.repeat(100)}\n`;
    expect(parseConfigText(text, 'm.yaml', Loose).q).toBe('['.repeat(100));
  });

  it('should keep every example mission within the default limits', () => {
    const dir = fileURLToPath(new URL('../../examples/', import.meta.url));
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
      expect([file, scanConfigBounds(readFileSync(join(dir, file), 'utf8'))]).toEqual([
        file,
        undefined,
      ]);
    }
  });
});

describe('config loader bounds: size', () => {
  it('should refuse a 1-million-element array by its size, within a second or so', () => {
    const { message, ms } = refusal(`name: a\nx: ${million}\n`);
    expect(message).toBe('m.yaml: file too large: 2000013 bytes (the limit is 1048576)');
    expect(ms).toBeLessThan(3000);
  });

  it('should refuse a 1-million-element array by its number of values where the size is allowed', () => {
    const { message, ms } = refusal(`name: a\nx: ${million}\n`, { limits: { maxBytes: 10e6 } });
    expect(message).toBe('m.yaml:2: too many values: more than 100000 values and collections');
    expect(ms).toBeLessThan(3000);
    const block = `name: a\nx:\n${'  - 1\n'.repeat(1_000_000)}`;
    // the mapping, name, a, x and the sequence come first: the 100,001st node is item 99,996, on line 99,998
    expect(refusal(block, { limits: { maxBytes: 10e6 } }).message).toBe(
      'm.yaml:99998: too many values: more than 100000 values and collections',
    );
  });

  it('should refuse a huge file before reading it', async () => {
    const file = join(tempDir(), 'big.yaml');
    writeFileSync(file, `name: a\nx: ${million}\n`);
    await expect(
      loadConfigFile(file, missionSchema, { env: {}, limits: { maxBytes: 1000 } }),
    ).rejects.toThrow(`${file}: file too large: 2000013 bytes (the limit is 1000)`);
  });

  it('should accept a 10,000-agent mission', () => {
    const agents = Array.from({ length: 10_000 }, (_, i) => `  - {id: a${i}, provider: p}`).join(
      '\n',
    );
    const text = `name: big\nproviders:\n  p: {kind: scripted, responses: [x]}\nagents:\n${agents}\nstages:\n  - {name: s, prompt: hi, agents: [a0, a9999]}\n`;
    expect(parseConfigText(text, 'm.yaml', missionSchema, { env: {} }).agents).toHaveLength(10_000);
  });
});

describe('config loader: every refusal has its line', () => {
  it('should name the line of an alias used before its anchor', () => {
    expect(refusal('name: a\nx: 1\ny: *nowhere\n').message).toBe(
      'm.yaml:3: not valid YAML: Unresolved alias (the anchor must be set before the alias): nowhere',
    );
  });
});
