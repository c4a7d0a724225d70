import { readFileSync, writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { EventLog } from '../../log/eventLog.js';
import { call, daemonsPerTest, readStream, submit, until } from '../helpers/daemonServer.js';
import { tempDir } from '../helpers/missions.js';

const helloYaml = readFileSync('examples/hello.yaml', 'utf8');
const serve = daemonsPerTest();

/** A logger whose warnings are kept, as `{msg, ...fields}` records. */
function warnings(): { logger: pino.Logger; records: Record<string, any>[] } {
  const records: Record<string, any>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean))
        records.push(JSON.parse(line) as Record<string, any>);
      done();
    },
  });
  return { logger: pino({ level: 'warn' }, stream), records };
}

describe('daemon: a corrupt line in the middle of a mission log', () => {
  it('should skip it with its file:line in a warning, and answer status and events with 200 after a restart', async () => {
    const stateDir = tempDir();
    const first = await serve({ stateDir });
    const id = await submit(first, helloYaml);
    const done = await until(first, id, 'succeeded');
    await first.close();

    const file = EventLog.pathFor(stateDir, id);
    const lines = readFileSync(file, 'utf8').split('\n');
    const total = lines.filter(Boolean).length;
    lines[2] = '{"seq":3,"ts":"2026-12-03T00:00:00.000Z","mission":"x","ty\u0000garbage';
    writeFileSync(file, lines.join('\n'));

    const { logger, records } = warnings();
    const second = await serve({ stateDir, logger });
    const status = await call(second, 'GET', `/api/missions/${id}`);
    expect(status.status).toBe(200);
    expect(status.json).toMatchObject({ state: 'succeeded', result: done.result });
    const events = await readStream(second, `/api/missions/${id}/events`);
    expect(events.status).toBe(200);
    const seqs = events.blocks.filter((b) => b.event !== 'end').map((b) => Number(b.id));
    expect(seqs).toHaveLength(total - 1);
    expect(seqs).not.toContain(3);
    expect(events.blocks.at(-1)?.event).toBe('end');
    expect(records.map((r) => r.msg)).toEqual(
      expect.arrayContaining([
        `daemon: 1 corrupt line(s) in a mission log skipped (${file}:3)`,
        `daemon: ${file}:3: corrupt line skipped (not JSON)`,
      ]),
    );
  });
});
