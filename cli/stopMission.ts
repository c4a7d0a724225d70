/**
 * `maestro stop MISSION [--reason TEXT]`: asks the daemon to stop a running mission. The daemon
 * accepts at once (202); the mission ends `stopped` once its supervisors have shut its tree down.
 */
import { MaestroClient, resolveDaemon, type DaemonFlags } from '../daemon/daemonClient.js';
import type { Io } from './io.js';

export interface StopFlags extends DaemonFlags {
  json?: boolean;
  reason?: string;
}

export async function stopCommand(id: string, flags: StopFlags, io: Io): Promise<number> {
  const summary = await new MaestroClient(resolveDaemon(flags)).stop(id, flags.reason);
  io.out(flags.json ? JSON.stringify(summary, null, 2) : `stopping ${summary.id}`);
  return 0;
}
