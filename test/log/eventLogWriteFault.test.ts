import { describe, expect, it } from 'vitest';
import { EventLog } from '../../log/eventLog.js';
import { LogWriteError } from '../../log/logWriteError.js';

// /dev/full answers every write with ENOSPC: the fault path on any Linux machine, no mount needed.
describe('event log on a disk that refuses writes', () => {
  it('should stop at the first failed append with a LogWriteError, tell its owner once, and drop what follows', () => {
    const log = new EventLog('/dev/full', 'm1', () => 0).open();
    const faults: LogWriteError[] = [];
    log.onFault((f) => faults.push(f));
    log.append({ type: 'mission.started' } as never);
    log.append({ type: 'mission.finished' } as never);
    expect(faults).toHaveLength(1);
    expect(faults[0]).toBeInstanceOf(LogWriteError);
    expect(faults[0]!.message).toBe(
      "cannot write the event log '/dev/full' (ENOSPC: no space left on the device) at a 'mission.started' event",
    );
    expect(faults[0]!.reason).toBe('disk_full');
    expect(log.fault).toBe(faults[0]);
    expect(log.lastSeq).toBe(0);
    expect(log.dropped).toBe(2);
  });
});
