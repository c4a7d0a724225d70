/**
 * `maestro inspect missions` and `maestro inspect timeline`: the daemon's missions newest first,
 * filtered by state and name, paged, in words and as JSON; a mission's history in words.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import { captureIo } from '../helpers/captureIo.js';
import { call, daemonsPerTest, until } from '../helpers/daemonServer.js';

const serve = daemonsPerTest();
const example = (name: string) =>
  readFileSync(join(import.meta.dirname, '../../examples', name), 'utf8');

describe('maestro inspect missions', () => {
  it('should list the missions newest first, by state and name, paged, and show one timeline', async () => {
    const d = await serve();
    for (const [id, file] of [
      ['hello-1', 'hello.yaml'],
      ['gated-1', 'approval.yaml'],
      ['hello-2', 'hello.yaml'],
    ] as const) {
      expect(
        (await call(d, 'POST', '/api/missions', { body: { source: example(file), id } })).status,
      ).toBe(201);
      await until(d, id, file === 'approval.yaml' ? 'awaiting_approval' : 'succeeded');
    }
    const run = async (...args: string[]) => {
      const io = captureIo();
      const code = await main(['inspect', ...args, '--url', d.server.url], io);
      return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
    };
    const all = JSON.parse((await run('missions', '--json')).out) as {
      total: number;
      missions: { id: string }[];
    };
    expect(all.total).toBe(3);
    expect(all.missions.map((m) => m.id)).toEqual(['hello-2', 'gated-1', 'hello-1']);
    const waiting = JSON.parse(
      (await run('missions', '--json', '--status', 'awaiting_approval')).out,
    );
    expect(waiting.missions.map((m: { id: string }) => m.id)).toEqual(['gated-1']);
    const named = JSON.parse(
      (await run('missions', '--json', '--name', 'HELLO', '--limit', '1', '--offset', '1')).out,
    );
    expect(named).toMatchObject({ total: 2, offset: 1, missions: [{ id: 'hello-1' }] });
    const words = await run('missions', '--limit', '2');
    expect(words.out.split('\n')).toEqual([
      expect.stringMatching(/^succeeded +hello-2 {2}hello {2}\(/),
      expect.stringMatching(/^awaiting_approval gated-1 {2}approval at plan {2}\(/),
      '… 1 more (--offset 2)',
    ]);
    const bad = await run('missions', '--status', 'done');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain(
      "--status: expected recovering, running, awaiting_approval, suspended, succeeded, failed, stopped (comma-separated), got 'done'",
    );
    // the timeline reads the log in the daemon's state dir
    const io = captureIo();
    expect(
      await main(['inspect', 'timeline', 'hello-1', '--state-dir', d.stateDir, '--pretty'], io),
    ).toBe(0);
    const timeline = io.stdout.join('\n');
    expect(timeline).toContain('mission hello-1 started: stages draft, polish');
    expect(timeline).toContain('mission succeeded');
  });
});
