/**
 * A pids cgroup for one run: at most `limit` processes and threads at once, a fork bomb's
 * ceiling (`prlimit --nproc` counts per user and does nothing as root). The run's first process
 * is a fixed `sh` line that moves itself into the cgroup and execs bwrap, so nothing forks
 * outside it; the command's argv is passed as arguments, never read by the shell. cgroup v1's
 * `pids` hierarchy, or v2 where our cgroup delegates `pids` to its children; neither writable:
 * `SandboxUnavailableError`, never an unlimited run.
 */
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '../kernel/errors.js';
import { SandboxUnavailableError } from './errors.js';

export interface PidsCgroup {
  dir: string;
  /** What to run instead of `[file, ...args]`: it joins the cgroup first. */
  wrap(file: string, args: readonly string[]): { file: string; args: string[] };
  /** Kills what is left in it and removes it. */
  release(): Promise<void>;
}

const JOIN_AND_EXEC = 'echo $$ > "$1" && shift && exec "$@"';
let serial = 0;

export function createPidsCgroup(limit: number): PidsCgroup {
  const parent = pidsHierarchy();
  const dir = join(parent, `maestro-sandbox-${process.pid}-${++serial}`);
  try {
    mkdirSync(dir);
    writeFileSync(join(dir, 'pids.max'), String(limit));
  } catch (err) {
    throw new SandboxUnavailableError(`a pids cgroup under '${parent}'`, errorMessage(err), {
      cause: err,
      hint: 'run as root, or leave pidsLimit unset',
    });
  }
  const procs = join(dir, 'cgroup.procs');
  return {
    dir,
    wrap: (file, args) => ({
      file: '/bin/sh',
      args: ['-c', JOIN_AND_EXEC, 'sh', procs, file, ...args],
    }),
    release: () => removeCgroup(dir),
  };
}

/** Our own cgroup in the pids hierarchy, where a child cgroup gets `pids.max`. */
function pidsHierarchy(): string {
  const own = readFileSync('/proc/self/cgroup', 'utf8').split('\n');
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
  const v1 = own.map((l) => l.split(':')).find((f) => f[1]?.split(',').includes('pids'));
  if (v1) {
    const mount = findMount(mounts, (type, opts) => type === 'cgroup' && opts.includes('pids'));
    if (mount) return join(mount.point, posix.relative(mount.root, v1[2] ?? '/'));
  }
  const v2 = own.find((l) => l.startsWith('0::'));
  const mount = findMount(mounts, (type) => type === 'cgroup2');
  if (v2 && mount) {
    const dir = join(mount.point, posix.relative(mount.root, v2.slice(3)));
    if (readOr(join(dir, 'cgroup.subtree_control')).split(/\s+/).includes('pids')) return dir;
  }
  throw new SandboxUnavailableError(
    'a pids cgroup',
    'no cgroup v1 pids hierarchy, and our cgroup v2 does not delegate pids to its children',
    { hint: 'leave pidsLimit unset, or run where a pids cgroup is writable' },
  );
}

interface CgroupMount {
  root: string;
  point: string;
}

/** A line of /proc/self/mountinfo: `id parent dev root point opts... - type source superopts`. */
function findMount(
  lines: string[],
  match: (type: string, superOpts: string[]) => boolean,
): CgroupMount | undefined {
  for (const line of lines) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const f = left.split(' ');
    const [type, , superOpts] = right.split(' ');
    if (type && match(type, (superOpts ?? '').split(',')))
      return { root: f[3] ?? '/', point: f[4] ?? '' };
  }
  return undefined;
}

async function removeCgroup(dir: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      rmdirSync(dir);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      // a pid namespace's last processes are reaped just after bwrap exits
      for (const pid of readOr(join(dir, 'cgroup.procs')).split('\n').filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // gone already
        }
      }
      await sleep(10);
    }
  }
}

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
