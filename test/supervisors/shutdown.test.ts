import { describe, expect, it } from 'vitest';
import type { ChildSpec } from '../../supervisors/index.js';
import { testWorker } from '../helpers/testWorker.js';
import { startTree } from '../helpers/tree.js';

const worker = (
  name: string,
  log: string[],
  extra: Partial<ChildSpec> = {},
  input: object = {},
): ChildSpec => ({
  id: name,
  start: { logic: testWorker, input: { name, log, logShutdownRequests: true, ...input } },
  ...extra,
});

describe('child shutdown', () => {
  it('should kill a child that ignores its shutdown after exactly its timeout', () => {
    const log: string[] = [];
    const t = startTree({
      name: 'sup',
      children: [worker('A', log), worker('S', log, { shutdown: 1000 }, { ignoreShutdown: true })],
    });
    log.length = 0;
    const s = t.sessionOf('S');
    t.actor.send({ type: 'maestro.shutdown' });
    expect(log).toEqual(['asked:S']);
    expect(t.actor.getSnapshot().value).toBe('shuttingDown');

    t.clock.advance(999);
    expect(t.child('S')!.getSnapshot().status).toBe('active');
    expect(log).toEqual(['asked:S']);
    expect(t.decisions()).toEqual([]);

    t.clock.advance(1);
    expect(t.child('S')).toBeUndefined();
    // S is killed, and only then is A asked to stop.
    expect(log).toEqual(['asked:S', 'stop:S', 'asked:A', 'stop:A']);
    expect(t.actor.getSnapshot().status).toBe('done');
    expect(t.decisions()).toEqual([
      {
        type: 'supervisor.decision',
        at: 1000,
        supervisor: 'sup',
        errorContext: 'shutdown_error',
        reason: 'killed',
        offender: {
          id: 'S',
          path: 'sup/S',
          pid: s,
          restart: 'permanent',
          shutdown: 1000,
          significant: false,
          type: 'worker',
          restarts: 0,
        },
        action: 'kill',
      },
    ]);
    expect(t.clock.pending).toBe(0);
  });

  it('should stop a cooperative child at once, without a kill', () => {
    const log: string[] = [];
    const t = startTree({ name: 'sup', children: [worker('A', log, { shutdown: 1000 })] });
    log.length = 0;
    t.actor.send({ type: 'maestro.shutdown' });
    expect(log).toEqual(['asked:A', 'stop:A']);
    expect(t.actor.getSnapshot().status).toBe('done');
    expect(t.decisions()).toEqual([]);
    // The kill timer was cancelled.
    expect(t.clock.pending).toBe(0);
  });

  it('should stop a brutal_kill child without asking it', () => {
    const log: string[] = [];
    const t = startTree({
      name: 'sup',
      children: [
        worker('A', log),
        worker('K', log, { shutdown: 'brutal_kill' }, { ignoreShutdown: true }),
      ],
    });
    log.length = 0;
    t.actor.send({ type: 'maestro.shutdown' });
    expect(log).toEqual(['stop:K', 'asked:A', 'stop:A']);
    expect(t.actor.getSnapshot().status).toBe('done');
    expect(t.decisions()).toEqual([]);
  });

  it("should wait as long as it takes for an 'infinity' child", () => {
    const log: string[] = [];
    const t = startTree({
      name: 'sup',
      children: [
        worker('A', log),
        worker('I', log, { shutdown: 'infinity' }, { ignoreShutdown: true }),
      ],
    });
    log.length = 0;
    t.actor.send({ type: 'maestro.shutdown' });
    t.clock.advance(24 * 3600 * 1000);
    expect(log).toEqual(['asked:I']);
    expect(t.actor.getSnapshot().value).toBe('shuttingDown');
    expect(t.child('A')!.getSnapshot().status).toBe('active');

    t.child('I')!.send({ type: 'finish' });
    expect(log).toEqual(['asked:I', 'stop:I', 'asked:A', 'stop:A']);
    expect(t.actor.getSnapshot().status).toBe('done');
    expect(t.decisions()).toEqual([]);
  });

  it('should, when restarting a group, kill a sibling that ignores its shutdown after its timeout and then restart', () => {
    const log: string[] = [];
    const t = startTree({
      name: 'sup',
      flags: { strategy: 'one_for_all' },
      children: [worker('A', log), worker('S', log, { shutdown: 500 }, { ignoreShutdown: true })],
    });
    log.length = 0;
    t.child('A')!.send({ type: 'crash' });
    expect(log).toEqual(['stop:A', 'asked:S']);
    expect(t.actor.getSnapshot().value).toBe('restarting');
    t.clock.advance(500);
    expect(log).toEqual(['stop:A', 'asked:S', 'stop:S', 'start:A', 'start:S']);
    expect(t.decisions().map((d) => [d.errorContext, d.action, d.offender?.id])).toEqual([
      ['child_terminated', 'restart', 'A'],
      ['shutdown_error', 'kill', 'S'],
    ]);
    expect(t.actor.getSnapshot().value).toBe('running');
  });
});
