import { existsSync, readFileSync } from 'node:fs';
import { SystemError } from '../kernel/errors.js';

/**
 * Maestro's version, from package.json: one folder up from cli/ in the sources, two from
 * dist/cli/ once compiled.
 */
export function version(): string {
  const file = ['../package.json', '../../package.json']
    .map((p) => new URL(p, import.meta.url))
    .find((url) => existsSync(url));
  if (!file) throw new SystemError(`no package.json above '${import.meta.url}'`);
  const pkg = JSON.parse(readFileSync(file, 'utf8')) as { version: string };
  return pkg.version;
}
