/**
 * The compiled package in dist/: is it older than its sources, and building it when it is, so
 * the tests and the bench that run the real bin never run a stale one. `npm ci` builds it
 * (`prepare`); a developer who edits a source and runs these gets a rebuild first.
 * No vitest import here: bench/cliStart.ts uses it too.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** What `npm run build` reads (tsconfig.build.json's include, the copied assets, the configs). */
const SOURCES = [
  ...['kernel', 'config', 'transport', 'supervisors', 'log', 'actors', 'machines', 'runner'],
  ...['daemon', 'inspector', 'cli', 'index.ts', 'nats.ts', 'testing.ts'],
  ...['tsconfig.json', 'tsconfig.build.json', 'package.json'],
];
/** The last file `npm run build` writes (after tsc, the copied assets). */
const LAST_OUTPUT = 'dist/inspector/page/index.html';

function newest(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let t = 0;
  for (const e of readdirSync(path)) t = Math.max(t, newest(join(path, e)));
  return t;
}

/** Why dist/ needs a build, or undefined when it is newer than every source. */
export function distStale(): string | undefined {
  const out = join(ROOT, LAST_OUTPUT);
  if (!existsSync(out)) return 'dist/ is missing';
  const built = statSync(out).mtimeMs;
  const changed = SOURCES.find((s) => newest(join(ROOT, s)) > built);
  return changed && `${changed} changed since the last build`;
}

/** Runs `npm run build` when dist/ is stale; returns why it built, or undefined. */
export async function ensureBuilt(): Promise<string | undefined> {
  const why = distStale();
  if (why) await promisify(execFile)('npm', ['run', '-s', 'build'], { cwd: ROOT });
  return why;
}
