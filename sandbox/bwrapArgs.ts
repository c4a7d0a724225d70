/**
 * bubblewrap's arguments for one run, pure. The options (mounts, namespaces, the environment)
 * go to bwrap through `--args 3` as NUL-separated bytes, not on its command line: `--setenv`
 * values would otherwise show in the host's `ps` and in /proc/1/cmdline inside. Only the command
 * itself stays in argv.
 */
import type { Mount } from './mounts.js';

export interface BwrapPlan {
  cwd: string;
  mounts: readonly Mount[];
  network: boolean;
  env: Readonly<Record<string, string>>;
  tmpfsBytes: number;
  /** What runs inside: prlimit and the command. */
  command: readonly string[];
}

export interface BwrapInvocation {
  /** bwrap's argv: `--args 3 -- <command>`. */
  argv: string[];
  /** The bytes for fd 3. */
  fd3: Buffer;
  /** The same options, as a list (for tests and for reading). */
  options: string[];
}

export function bwrapArgs(plan: BwrapPlan): BwrapInvocation {
  const size = ['--size', String(plan.tmpfsBytes)];
  const options = [
    ['--ro-bind', '/', '/'],
    ['--dev', '/dev'],
    ['--proc', '/proc'],
    [...size, '--tmpfs', '/tmp'],
    ...plan.mounts.map(mountArgs),
    ['--unshare-all', '--unshare-pid'],
    plan.network ? ['--share-net'] : [],
    ['--die-with-parent', '--new-session', '--cap-drop', 'ALL'],
    ['--clearenv'],
    ...Object.entries(plan.env).map(([k, v]) => ['--setenv', k, v]),
    ['--chdir', plan.cwd],
    // last: a read-only remount of a hidden path first would refuse the mount points made in it
    ...plan.mounts.filter((m) => m.kind === 'tmpfs').map((m) => ['--remount-ro', m.path]),
  ].flat();
  const fd3 = Buffer.from(options.map((o) => `${o}\0`).join(''), 'utf8');
  return { argv: ['--args', '3', '--', ...plan.command], fd3, options };
}

/** A hidden path's tmpfs holds nothing but mount points. */
const HIDDEN_TMPFS_BYTES = 1024 * 1024;

function mountArgs(m: Mount): string[] {
  switch (m.kind) {
    case 'tmpfs':
      return ['--size', String(HIDDEN_TMPFS_BYTES), '--tmpfs', m.path];
    case 'null':
      return ['--ro-bind', '/dev/null', m.path];
    case 'ro':
      return ['--ro-bind', m.path, m.path];
    case 'rw':
      return ['--bind', m.path, m.path];
  }
}
