import { describe, expect, it } from 'vitest';
import type { ChildSpec } from '../../supervisors/index.js';
import { testWorker } from '../helpers/testWorker.js';
import { startTree } from '../helpers/tree.js';

const worker = (name: string, log: string[], extra: Partial<ChildSpec> = {}): ChildSpec => ({
  id: name,
  start: { logic: testWorker, input: { name, log } },
  ...extra,
});
const significant: Partial<ChildSpec> = { restart: 'transient', significant: true };

describe('auto_shutdown', () => {
  it('should, under any_significant, end when a significant child finishes, stopping the others in reverse order', () => {
    const log: string[] = [];
    const t = startTree({
      name: 'sup',
      flags: { autoShutdown: 'any_significant' },
      children: [
        worker('A', log),
        worker('S', log, significant),
        worker('C', log),
        worker('D', log),
      ],
    });
    log.length = 0;
    t.child('S')!.send({ type: 'finish' });
    expect(log).toEqual(['stop:S', 'stop:D', 'stop:C', 'stop:A']);
    expect(t.actor.getSnapshot().status).toBe('done');
    expect(t.actor.getSnapshot().value).toBe('stopped');
    expect(t.actor.getSnapshot().output).toEqual({
      reason: 'auto_shutdown',
      results: { S: 'S done' },
    });
    expect(t.errors).toEqual([]);
    expect(t.decisions().map((d) => [d.errorContext, d.reason, d.action, d.offender?.id])).toEqual([
      ['child_terminated', 'normal', 'no_restart', 'S'],
      ['auto_shutdown', 'any_significant', 'shutdown', 'S'],
    ]);
  });

  it('should, under any_significant, restart a significant transient child that crashes instead of ending', () => {
    const log: string[] = [];
    const t = startTree({
      name: 'sup',
      flags: { autoShutdown: 'any_significant' },
      children: [worker('A', log), worker('S', log, significant)],
    });
    log.length = 0;
    t.child('S')!.send({ type: 'crash' });
    expect(log).toEqual(['stop:S', 'start:S']);
    expect(t.actor.getSnapshot().value).toBe('running');
  });

  it('should, under any_significant, not end when a child that is not significant finishes', () => {
    const log: string[] = [];
    const t = startTree({
      name: 'sup',
      flags: { autoShutdown: 'any_significant' },
      children: [worker('A', log, { restart: 'transient' }), worker('S', log, significant)],
    });
    t.child('A')!.send({ type: 'finish' });
    expect(t.actor.getSnapshot().value).toBe('running');
  });

  it('should, under all_significant, end only after the last significant child finishes', () => {
    const log: string[] = [];
    const t = startTree({
      name: 'sup',
      flags: { autoShutdown: 'all_significant' },
      children: [
        worker('A', log),
        worker('S1', log, significant),
        worker('S2', log, { restart: 'temporary', significant: true }),
        worker('C', log),
      ],
    });
    log.length = 0;
    t.child('S1')!.send({ type: 'finish' });
    expect(log).toEqual(['stop:S1']);
    expect(t.actor.getSnapshot().status).toBe('active');
    expect(t.actor.getSnapshot().value).toBe('running');

    t.child('S2')!.send({ type: 'finish' });
    expect(log).toEqual(['stop:S1', 'stop:S2', 'stop:C', 'stop:A']);
    expect(t.actor.getSnapshot().status).toBe('done');
    expect(t.actor.getSnapshot().output).toEqual({
      reason: 'auto_shutdown',
      results: { S1: 'S1 done', S2: 'S2 done' },
    });
    expect(t.decisions().map((d) => [d.errorContext, d.action, d.offender?.id])).toEqual([
      ['child_terminated', 'no_restart', 'S1'],
      ['child_terminated', 'remove', 'S2'],
      ['auto_shutdown', 'shutdown', 'S2'],
    ]);
  });

  it('should, under never, run on after a significant child finishes', () => {
    const t = startTree({ name: 'sup', children: [worker('A', []), worker('S', [], significant)] });
    t.child('S')!.send({ type: 'finish' });
    expect(t.actor.getSnapshot().value).toBe('running');
    expect(t.decisions().map((d) => d.action)).toEqual(['no_restart']);
  });
});
