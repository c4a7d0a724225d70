import { describe, expect, it } from 'vitest';
import type { ChildSpec } from '../../supervisors/index.js';
import { testWorker } from '../helpers/testWorker.js';
import { startTree } from '../helpers/tree.js';

const worker = (name: string, log: string[], extra: Partial<ChildSpec> = {}): ChildSpec => ({
  id: name,
  start: { logic: testWorker, input: { name, log } },
  ...extra,
});

describe('restart types', () => {
  it('should not restart a transient child that finishes normally, and keep it as terminated', () => {
    const log: string[] = [];
    const t = startTree({
      name: 'sup',
      children: [worker('A', log), worker('T', log, { restart: 'transient' })],
    });
    log.length = 0;
    t.child('T')!.send({ type: 'finish' });
    expect(log).toEqual(['stop:T']);
    expect(t.child('T')).toBeUndefined();
    expect(t.children().map((c) => [c.id, c.status])).toEqual([
      ['A', 'running'],
      ['T', 'terminated'],
    ]);
    expect(t.decisions()).toEqual([
      expect.objectContaining({
        supervisor: 'sup',
        errorContext: 'child_terminated',
        reason: 'normal',
        action: 'no_restart',
        offender: expect.objectContaining({ id: 'T', restart: 'transient' }),
      }),
    ]);
    expect(t.actor.getSnapshot().value).toBe('running');
    t.actor.send({ type: 'maestro.shutdown' });
    expect(t.actor.getSnapshot().output).toEqual({ reason: 'shutdown', results: { T: 'T done' } });
  });

  it('should restart a transient child that crashes', () => {
    const log: string[] = [];
    const t = startTree({
      name: 'sup',
      children: [worker('A', log), worker('T', log, { restart: 'transient' })],
    });
    log.length = 0;
    t.child('T')!.send({ type: 'crash' });
    expect(log).toEqual(['stop:T', 'start:T']);
    expect(t.running()).toEqual(['A', 'T']);
    expect(t.decisions()).toEqual([
      expect.objectContaining({ reason: 'T crashed', action: 'restart', group: ['T'] }),
    ]);
  });

  it('should restart a permanent child that finishes normally', () => {
    const log: string[] = [];
    const t = startTree({ name: 'sup', children: [worker('A', log), worker('P', log)] });
    const p = t.child('P');
    log.length = 0;
    t.child('P')!.send({ type: 'finish' });
    expect(log).toEqual(['stop:P', 'start:P']);
    expect(t.child('P')).not.toBe(p);
    expect(t.decisions()).toEqual([
      expect.objectContaining({
        reason: 'normal',
        action: 'restart',
        offender: expect.objectContaining({ id: 'P', restart: 'permanent' }),
      }),
    ]);
    // A normal exit that leads to a restart still counts towards the intensity.
    t.child('P')!.send({ type: 'finish' });
    expect(t.actor.getSnapshot().status).toBe('error');
  });

  it('should not restart a temporary child, crashed or finished, and remove it', () => {
    const log: string[] = [];
    const t = startTree({
      name: 'sup',
      children: [
        worker('A', log),
        worker('X', log, { restart: 'temporary' }),
        worker('Y', log, { restart: 'temporary' }),
      ],
    });
    log.length = 0;
    t.child('X')!.send({ type: 'crash' });
    t.child('Y')!.send({ type: 'finish' });
    expect(log).toEqual(['stop:X', 'stop:Y']);
    expect(t.children().map((c) => c.id)).toEqual(['A']);
    expect(t.decisions().map((d) => [d.offender?.id, d.reason, d.action])).toEqual([
      ['X', 'X crashed', 'remove'],
      ['Y', 'normal', 'remove'],
    ]);
    expect(t.actor.getSnapshot().value).toBe('running');
  });

  it('should, with intensity 0, give up on the first restart', () => {
    const log: string[] = [];
    const t = startTree({
      name: 'sup',
      flags: { intensity: 0 },
      children: [worker('A', log), worker('B', log)],
    });
    log.length = 0;
    t.child('A')!.send({ type: 'crash' });
    expect(log).toEqual(['stop:A', 'stop:B']);
    expect(t.actor.getSnapshot().status).toBe('error');
    // As OTP: the crash is reported (child_terminated), then the shutdown it led to.
    expect(t.decisions()).toEqual([
      expect.objectContaining({
        errorContext: 'child_terminated',
        reason: 'A crashed',
        action: 'shutdown',
      }),
      expect.objectContaining({
        errorContext: 'shutdown',
        reason: 'reached_max_restart_intensity',
        action: 'shutdown',
      }),
    ]);
  });
});
