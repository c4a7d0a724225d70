/**
 * The daemon's watch over a state directory that stopped taking writes (a full or failing
 * disk). From the first fault on, new submissions are refused (507) and the missions whose logs
 * failed wait, suspended; a probe write the size of a few events is tried every `probeMs`, and
 * once it works each suspended mission is handed back to be resumed from its log.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { EventLog } from '../log/eventLog.js';
import { isDiskFault, type LogWriteError } from '../log/logWriteError.js';
import { DaemonCannotWriteError } from './daemonApi.js';

/** Why a mission waits: what its log's write said, and when. */
export interface SuspendedByDisk {
  code: string;
  message: string;
  at: string;
}

export interface DiskFaultWatchOptions {
  stateDir: string;
  logger: Logger;
  now: () => number;
  /** @default 2000 */
  probeMs?: number;
  /** Resumes a suspended mission from its log; a disk fault it throws puts it back to wait. */
  resume: (mission: string, why: SuspendedByDisk) => void;
}

export class DiskFaultWatch {
  private fault:
    | { code: string; suspended: Map<string, SuspendedByDisk>; timer: NodeJS.Timeout }
    | undefined;
  private stopped = false;

  constructor(private readonly o: DiskFaultWatchOptions) {}

  /** Throws `DaemonCannotWriteError` while the directory takes no writes. */
  assertWritable(): void {
    if (this.fault) throw new DaemonCannotWriteError(this.o.stateDir, this.fault.code);
  }

  /** Runs a first write of the state directory (a new mission's log); a disk fault starts the watch and is a 507. */
  claim<T>(write: () => T): T {
    try {
      return write();
    } catch (err) {
      if (!isDiskFault(err)) throw err;
      const code = (err as NodeJS.ErrnoException).code!;
      this.start(code);
      throw new DaemonCannotWriteError(this.o.stateDir, code);
    }
  }

  /** A mission's log could not be written: it waits until the directory takes writes again. */
  missionFaulted(mission: string, fault: LogWriteError): void {
    this.o.logger.error(
      { mission, file: fault.file, code: fault.code },
      `daemon: ${fault.message}; the mission is suspended and new missions are refused (507) until the state directory takes writes again`,
    );
    this.start(fault.code).suspended.set(mission, {
      code: fault.code,
      message: fault.message,
      at: new Date(this.o.now()).toISOString(),
    });
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.fault?.timer);
  }

  private start(code: string): NonNullable<DiskFaultWatch['fault']> {
    if (!this.fault) {
      const timer = setInterval(() => this.probe(), this.o.probeMs ?? 2000);
      timer.unref();
      this.fault = { code, suspended: new Map(), timer };
    }
    return this.fault;
  }

  private probe(): void {
    const f = this.fault;
    if (!f || this.stopped) return;
    const probe = join(dirname(EventLog.pathFor(this.o.stateDir, 'x')), '.write-probe');
    try {
      writeFileSync(probe, Buffer.alloc(64 * 1024));
      rmSync(probe, { force: true });
    } catch (err) {
      rmSync(probe, { force: true });
      if (isDiskFault(err)) return;
      throw err;
    }
    clearInterval(f.timer);
    this.fault = undefined;
    for (const [mission, why] of f.suspended) {
      try {
        this.o.resume(mission, why);
        this.o.logger.info(
          { mission },
          'daemon: the state directory takes writes again; mission resumed',
        );
      } catch (err) {
        if (!isDiskFault(err)) throw err;
        this.start((err as NodeJS.ErrnoException).code!).suspended.set(mission, why);
      }
    }
  }
}
