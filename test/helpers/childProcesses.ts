/** Child processes the tests start: all SIGKILLed when the test process exits, whatever happened. */
import type { ChildProcess } from 'node:child_process';

/** Started and not yet exited. */
export const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

export function trackChild(proc: ChildProcess): void {
  liveChildren.add(proc);
  proc.once('exit', () => liveChildren.delete(proc));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const p of liveChildren) p.kill('SIGKILL');
  });
}
