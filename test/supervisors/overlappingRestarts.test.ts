import { describe, expect, it } from 'vitest';
import type { ChildSpec } from '../../supervisors/index.js';
import { testWorker, type TestWorkerInput } from '../helpers/testWorker.js';
import { startTree } from '../helpers/tree.js';

const worker = (
  name: string,
  log: string[],
  extra: Partial<ChildSpec> = {},
  input: Partial<TestWorkerInput> = {},
): ChildSpec => ({
  id: name,
  start: { logic: testWorker, input: { name, log, logShutdownRequests: true, ...input } },
  ...extra,
});

describe('a restart decided while another is still under way', () => {
  it('should, under rest_for_one, supersede the queued starts so no child starts before the ones it depends on', () => {
    const log: string[] = [];
    const t = startTree({
      name: 'sup',
      flags: { strategy: 'rest_for_one', intensity: 5 },
      children: [
        worker('a', log),
        worker('b', log),
        worker('c', log, { shutdown: 1000 }, { ignoreShutdown: true }),
      ],
    });
    log.length = 0;
    t.child('b')!.send({ type: 'crash' }); // stops c (which ignores it), then would start b, c
    t.child('a')!.send({ type: 'crash' }); // while c is still stopping
    expect(log).toEqual(['stop:b', 'asked:c', 'stop:a']);
    t.clock.advance(1000);
    expect(log).toEqual(['stop:b', 'asked:c', 'stop:a', 'stop:c', 'start:a', 'start:b', 'start:c']);
    expect(t.decisions().map((d) => `${d.action} ${d.offender?.id}`)).toEqual([
      'restart b',
      'restart a',
      'kill c',
    ]);
    expect(t.actor.getSnapshot().value).toBe('running');
  });
});
