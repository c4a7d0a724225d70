/**
 * Whether bubblewrap works here: `true` run once with the same confinement as a real run (every
 * namespace, dropped capabilities, prlimit inside). A success is remembered per bwrap path; a
 * failure is not, so installing bubblewrap and retrying needs no restart.
 */
import { existsSync } from 'node:fs';
import { bwrapArgs } from './bwrapArgs.js';
import { SandboxUnavailableError } from './errors.js';
import { runProcess } from './runProcess.js';
import { DEFAULT_BWRAP_PATH, DEFAULT_PRLIMIT_PATH, DEFAULT_TMPFS_BYTES } from './types.js';

export interface ProbeOptions {
  /** @default /usr/bin/bwrap */
  bwrapPath?: string;
  /** @default /usr/bin/prlimit */
  prlimitPath?: string;
}

const PROBE_TIMEOUT_MS = 10_000;
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const working = new Map<string, Promise<void>>();

/** Resolves when bwrap confines `true`; otherwise rejects with `SandboxUnavailableError`. */
export function probeSandbox(options: ProbeOptions = {}): Promise<void> {
  const bwrap = options.bwrapPath ?? DEFAULT_BWRAP_PATH;
  const prlimit = options.prlimitPath ?? DEFAULT_PRLIMIT_PATH;
  const key = `${bwrap}\0${prlimit}`;
  let probe = working.get(key);
  if (!probe) {
    probe = runProbe(bwrap, prlimit);
    working.set(key, probe);
    probe.catch(() => working.delete(key));
  }
  return probe;
}

async function runProbe(bwrap: string, prlimit: string): Promise<void> {
  if (!existsSync(prlimit))
    throw new SandboxUnavailableError(`prlimit at '${prlimit}'`, 'not found', {
      hint: 'install util-linux (apt-get install util-linux), or give prlimitPath',
    });
  const what = `bwrap at '${bwrap}'`;
  const inv = bwrapArgs({
    cwd: '/',
    mounts: [],
    network: false,
    env: { PATH },
    tmpfsBytes: DEFAULT_TMPFS_BYTES,
    command: [prlimit, '--core=0', '--', 'true'],
  });
  const out = await runProcess({
    file: bwrap,
    args: inv.argv,
    fd3: inv.fd3,
    env: {},
    cwd: '/',
    group: false,
    timeoutMs: PROBE_TIMEOUT_MS,
    maxOutputBytes: 64 * 1024,
    tailBytes: 2048,
  });
  if (out.spawnError) {
    const code = out.spawnError.code ?? out.spawnError.message;
    throw new SandboxUnavailableError(what, code === 'ENOENT' ? 'not found (ENOENT)' : code, {
      cause: out.spawnError,
    });
  }
  if (out.killed)
    throw new SandboxUnavailableError(what, `'true' did not finish in ${PROBE_TIMEOUT_MS} ms`);
  if (out.exitCode !== 0) {
    const said = out.stderrTail.trim() || out.stdoutTail.trim() || 'no output';
    throw new SandboxUnavailableError(
      what,
      `confined 'true' exited ${out.exitCode ?? out.signal}: ${said}`,
    );
  }
}
