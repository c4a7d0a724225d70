/**
 * The file descriptors this process holds open without close-on-exec, which every child would
 * inherit: Node opens its own with O_CLOEXEC, but ones handed down by whoever started Maestro (a
 * shell, a CI runner) are not, and bwrap passes every inherited fd on to the command. A child's
 * stdio array maps each of them to /dev/null instead, so no host fd reaches a sandboxed command.
 */
import { openSync, readdirSync, readFileSync } from 'node:fs';
import type { StdioOptions } from 'node:child_process';

const O_CLOEXEC = 0o2000000;
let devNull: number | undefined;

/** fds ≥ 3 open here without O_CLOEXEC (read from /proc/self/fdinfo; none where there is no /proc). */
export function inheritableFds(): number[] {
  let names: string[];
  try {
    names = readdirSync('/proc/self/fd');
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const name of names) {
    const fd = Number(name);
    if (!Number.isInteger(fd) || fd < 3) continue;
    try {
      const flags = /flags:\s*([0-7]+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
      if (flags && (Number.parseInt(flags[1]!, 8) & O_CLOEXEC) === 0) out.push(fd);
    } catch {
      // closed meanwhile (the fd readdir itself used, for one)
    }
  }
  return out.sort((a, b) => a - b);
}

/**
 * stdin from /dev/null (piped with `stdin`), stdout and stderr piped, `extra` pipes from fd 3 on
 * (bwrap's `--args`), and every inheritable fd past them overwritten with /dev/null in the child.
 */
export function childStdio(extra = 0, stdin = false): StdioOptions {
  const stdio: (number | 'pipe' | 'ignore')[] = [stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'];
  for (let i = 0; i < extra; i++) stdio.push('pipe');
  const leaked = inheritableFds().filter((fd) => fd >= stdio.length);
  if (leaked.length === 0) return stdio;
  devNull ??= openSync('/dev/null', 'r');
  for (const fd of leaked) {
    while (stdio.length < fd) stdio.push('ignore');
    stdio[fd] = devNull;
  }
  return stdio;
}
