/**
 * The environment a sandboxed command gets: only the allowlisted variables that are set on the
 * host, then the explicit ones. Nothing else crosses, API keys above all; bwrap itself is started
 * with an empty environment, since it is pid 1 inside and /proc/1/environ is readable there.
 */
import { SandboxOptionError } from './errors.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function sandboxEnv(
  hostEnv: NodeJS.ProcessEnv,
  names: readonly string[],
  setEnv: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const out: Record<string, string> = {};
  names.forEach((name, i) => {
    if (typeof name !== 'string' || !NAME.test(name))
      throw new SandboxOptionError(`env[${i}]`, name, `expected a variable name, got '${name}'`);
    const value = hostEnv[name];
    if (value !== undefined && !value.includes('\0')) out[name] = value;
  });
  for (const [name, value] of Object.entries(setEnv)) {
    if (!NAME.test(name))
      throw new SandboxOptionError('setEnv', name, `expected a variable name, got '${name}'`);
    // the value is not quoted: it may be a key
    if (typeof value !== 'string' || value.includes('\0'))
      throw new SandboxOptionError(`setEnv.${name}`, undefined, 'expected a string without NUL');
    out[name] = value;
  }
  return out;
}
