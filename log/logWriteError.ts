/**
 * A mission's event log could not be written: the disk is full, over quota, read-only or
 * failing. Not a crash of the mission: the log keeps every whole line written before it (a
 * partial line is cut back), the mission is suspended, and it resumes from that log once the
 * disk takes writes again, as after a restart.
 */
import { SystemError } from '../kernel/errors.js';

/** The errno codes that are the disk's fault, not Maestro's. */
export const DISK_FAULTS: ReadonlySet<string> = new Set([
  'ENOSPC',
  'EDQUOT',
  'EIO',
  'EROFS',
  'EFBIG',
]);

export function isDiskFault(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code !== undefined && DISK_FAULTS.has(code);
}

export class LogWriteError extends SystemError {
  override name = 'LogWriteError';
  constructor(
    readonly file: string,
    readonly code: string,
    /** The type of the first event that could not be written. */
    readonly eventType: string | undefined,
    options?: ErrorOptions,
  ) {
    super(
      `cannot write the event log '${file}' (${code}${code === 'ENOSPC' ? ': no space left on the device' : ''})${eventType ? ` at a '${eventType}' event` : ''}`,
      options,
    );
  }

  /** The reason a suspended mission's status gives. */
  get reason(): 'disk_full' | 'log_write_failed' {
    return this.code === 'ENOSPC' || this.code === 'EDQUOT' ? 'disk_full' : 'log_write_failed';
  }
}
