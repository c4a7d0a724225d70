/**
 * The planner's prompts, one Markdown file per prompt and version: `prompts/<name>.v<N>.md`.
 * A prompt change is a new file, never an edit, so a logged `synthesize@v1` always means the
 * same text and a mission can pin an old version. Placeholders are `{{name}}`; rendering fills
 * them in one pass (a value that itself holds `{{x}}` is left alone) and refuses a placeholder
 * without a value, so a typo never reaches a model as a literal `{{goal}}`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SystemError, UserError } from '../kernel/errors.js';

/** The folder of prompts that ships with Maestro. */
export const BUNDLED_PROMPTS_DIR = fileURLToPath(new URL('./prompts/', import.meta.url));

export type PromptVars = Readonly<Record<string, string>>;

export interface RenderedPrompt {
  text: string;
  /** `name@v<N>`: what the event log records, so a run says which text it sent. */
  id: string;
}

export interface PromptLibrary {
  /** The newest version of `name` unless `version` pins one. */
  render(name: string, vars: PromptVars, version?: number): RenderedPrompt;
  /** The id (`name@v<N>`) `render` would use; throws `PromptNotFoundError` as `render` does. */
  resolve(name: string, version?: number): string;
  /** Prompt names, sorted. */
  names(): string[];
  /** Versions of `name`, oldest first; empty when there is no such prompt. */
  versions(name: string): number[];
}

/** A prompt or version asked for that the library does not have: a pinned version in a config, say. */
export class PromptNotFoundError extends UserError {
  override name = 'PromptNotFoundError';
  constructor(
    readonly prompt: string,
    readonly version: number | undefined,
    /** What exists: `name@v<N>` for each version of each prompt. */
    readonly available: readonly string[],
  ) {
    super(
      version === undefined
        ? `unknown prompt '${prompt}' (known: ${available.join(', ') || 'none'})`
        : `unknown version ${version} of prompt '${prompt}' (known: ${available.join(', ') || 'none'})`,
    );
  }
}

/** A template or a render that cannot work: a malformed placeholder, a file misnamed, a value missing. */
export class PromptTemplateError extends SystemError {
  override name = 'PromptTemplateError';
  constructor(
    /** `name@v<N>`, or the file name when the file itself is wrong. */
    readonly prompt: string,
    /** The placeholders or text at fault. */
    readonly offending: readonly string[],
    message: string,
  ) {
    super(`prompt '${prompt}': ${message}`);
  }
}

const FILE = /^([A-Za-z][A-Za-z0-9_]*)\.v([1-9][0-9]*)\.md$/;
const PLACEHOLDER = /\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}/g;

interface Template {
  text: string;
  placeholders: ReadonlySet<string>;
}

let bundled: PromptLibrary | undefined;

/** The prompts in `dir`; the bundled ones are read from disk once per process (a daemon starts many plan stages). */
export function loadPromptLibrary(dir: string = BUNDLED_PROMPTS_DIR): PromptLibrary {
  if (dir === BUNDLED_PROMPTS_DIR) return (bundled ??= readPromptLibrary(dir));
  return readPromptLibrary(dir);
}

function readPromptLibrary(dir: string): PromptLibrary {
  const templates = new Map<string, Map<number, Template>>();
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.md')) continue;
    const m = FILE.exec(file);
    if (!m)
      throw new PromptTemplateError(file, [file], `expected a file name like 'synthesize.v1.md'`);
    const [, name, v] = m as unknown as [string, string, string];
    const text = readFileSync(join(dir, file), 'utf8').trimEnd();
    const versions = templates.get(name) ?? new Map<number, Template>();
    versions.set(Number(v), parseTemplate(`${name}@v${v}`, text));
    templates.set(name, versions);
  }
  const available = () =>
    [...templates.keys()].sort().flatMap((n) => versionsOf(n).map((v) => `${n}@v${v}`));
  const versionsOf = (name: string) =>
    [...(templates.get(name)?.keys() ?? [])].sort((a, b) => a - b);

  const find = (name: string, version: number | undefined) => {
    const versions = templates.get(name);
    if (!versions) throw new PromptNotFoundError(name, version, available());
    const v = version ?? Math.max(...versions.keys());
    const template = versions.get(v);
    if (!template)
      throw new PromptNotFoundError(
        name,
        version,
        versionsOf(name).map((n) => `${name}@v${n}`),
      );
    return { id: `${name}@v${v}`, template };
  };

  return {
    names: () => [...templates.keys()].sort(),
    versions: versionsOf,
    resolve: (name, version) => find(name, version).id,
    render(name, vars, version) {
      const { id, template } = find(name, version);
      const missing = [...template.placeholders].filter(
        (p) => !Object.hasOwn(vars, p) || typeof vars[p] !== 'string',
      );
      if (missing.length > 0) {
        throw new PromptTemplateError(
          id,
          missing,
          `missing ${missing.length === 1 ? 'var' : 'vars'} ${missing.map((p) => `'${p}'`).join(', ')}`,
        );
      }
      return { id, text: template.text.replace(PLACEHOLDER, (_, p: string) => vars[p]!) };
    },
  };
}

/** Collects the placeholders, refusing `{{` or `}}` that is not part of a well-formed one. */
function parseTemplate(id: string, text: string): Template {
  const placeholders = new Set<string>();
  for (const m of text.matchAll(PLACEHOLDER)) placeholders.add(m[1]!);
  const stray = text.replace(PLACEHOLDER, '').match(/\{\{[^}\n]{0,40}\}?\}?|\}\}/g);
  if (stray)
    throw new PromptTemplateError(
      id,
      stray,
      `malformed placeholder ${stray.map((s) => `'${s}'`).join(', ')} (expected {{name}})`,
    );
  return { text, placeholders };
}
