import { describe, expect, it } from 'vitest';
import type { ChildSpec } from '../../supervisors/index.js';
import { testWorker, type TestWorkerInput } from '../helpers/testWorker.js';
import { startTree } from '../helpers/tree.js';

const template = (extra: Partial<ChildSpec> = {}): ChildSpec => ({
  id: 'worker',
  start: { logic: testWorker },
  ...extra,
});

describe('simple_one_for_one', () => {
  it('should start no child at first and give children started with startChild numeric ids', () => {
    const log: string[] = [];
    const t = startTree({
      name: 'pool',
      flags: { strategy: 'simple_one_for_one' },
      children: [template()],
    });
    expect(t.children()).toEqual([]);
    expect(t.actor.getSnapshot().value).toBe('running');
    for (const name of ['x', 'y', 'z'])
      t.actor.send({
        type: 'supervisor.startChild',
        input: { name, log } satisfies TestWorkerInput,
      });
    expect(log).toEqual(['start:x', 'start:y', 'start:z']);
    expect(t.running()).toEqual(['0', '1', '2']);
  });

  it('should restart a crashed child with the same input and id, leaving the others alone', () => {
    const log: string[] = [];
    const t = startTree({
      name: 'pool',
      flags: { strategy: 'simple_one_for_one' },
      children: [template()],
    });
    for (const name of ['x', 'y'])
      t.actor.send({ type: 'supervisor.startChild', input: { name, log } });
    const y = t.child('1');
    log.length = 0;
    t.child('0')!.send({ type: 'crash' });
    expect(log).toEqual(['stop:x', 'start:x']);
    expect(t.child('0')!.getSnapshot().context).toMatchObject({ name: 'x' });
    expect(t.child('1')).toBe(y);
    expect(t.decisions()).toEqual([
      expect.objectContaining({
        supervisor: 'pool',
        reason: 'x crashed',
        action: 'restart',
        group: ['0'],
        offender: expect.objectContaining({ id: '0', path: 'pool/0' }),
      }),
    ]);
  });

  it('should remove a temporary child that ends, and not reuse its id', () => {
    const log: string[] = [];
    const t = startTree({
      name: 'pool',
      flags: { strategy: 'simple_one_for_one' },
      children: [template({ restart: 'temporary' })],
    });
    for (const name of ['x', 'y'])
      t.actor.send({ type: 'supervisor.startChild', input: { name, log } });
    log.length = 0;
    t.child('0')!.send({ type: 'crash' });
    expect(log).toEqual(['stop:x']);
    expect(t.children().map((c) => c.id)).toEqual(['1']);
    expect(t.decisions().map((d) => [d.offender?.id, d.action])).toEqual([['0', 'remove']]);
    t.actor.send({ type: 'supervisor.startChild', input: { name: 'z', log } });
    expect(t.running()).toEqual(['1', '2']);
  });

  it('should remove a transient child that finishes normally', () => {
    const log: string[] = [];
    const t = startTree({
      name: 'pool',
      flags: { strategy: 'simple_one_for_one' },
      children: [template({ restart: 'transient' })],
    });
    t.actor.send({ type: 'supervisor.startChild', input: { name: 'x', log } });
    t.child('0')!.send({ type: 'finish' });
    expect(t.children()).toEqual([]);
    expect(t.decisions().map((d) => [d.reason, d.action])).toEqual([['normal', 'remove']]);
  });

  it("should use the template's input when startChild gives none", () => {
    const log: string[] = [];
    const t = startTree({
      name: 'pool',
      flags: { strategy: 'simple_one_for_one' },
      children: [{ id: 'w', start: { logic: testWorker, input: { name: 'default', log } } }],
    });
    t.actor.send({ type: 'supervisor.startChild' });
    expect(log).toEqual(['start:default']);
  });

  it('should stop all children on shutdown in reverse start order', () => {
    const log: string[] = [];
    const t = startTree({
      name: 'pool',
      flags: { strategy: 'simple_one_for_one' },
      children: [template()],
    });
    for (const name of ['x', 'y', 'z'])
      t.actor.send({
        type: 'supervisor.startChild',
        input: { name, log, logShutdownRequests: true },
      });
    log.length = 0;
    t.actor.send({ type: 'maestro.shutdown' });
    expect(log).toEqual(['asked:z', 'stop:z', 'asked:y', 'stop:y', 'asked:x', 'stop:x']);
    expect(t.actor.getSnapshot().status).toBe('done');
  });

  it('should ask all children to stop at once and kill those that ignore it after the timeout', () => {
    const log: string[] = [];
    const t = startTree({
      name: 'pool',
      flags: { strategy: 'simple_one_for_one' },
      children: [template({ shutdown: 1000 })],
    });
    for (const name of ['x', 'y', 'z']) {
      t.actor.send({
        type: 'supervisor.startChild',
        input: { name, log, logShutdownRequests: true, ignoreShutdown: name !== 'y' },
      });
    }
    log.length = 0;
    t.actor.send({ type: 'maestro.shutdown' });
    expect(log).toEqual(['asked:z', 'asked:y', 'stop:y', 'asked:x']);
    t.clock.advance(999);
    expect(t.running()).toEqual(['0', '2']);
    t.clock.advance(1);
    expect(log.slice(4)).toEqual(['stop:z', 'stop:x']);
    expect(t.actor.getSnapshot().status).toBe('done');
    expect(t.decisions().map((d) => [d.errorContext, d.action, d.offender?.id])).toEqual([
      ['shutdown_error', 'kill', '2'],
      ['shutdown_error', 'kill', '0'],
    ]);
  });
});
