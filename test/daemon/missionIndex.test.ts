import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { INDEX_FILE } from '../../daemon/missionIndex.js';
import { EventLog } from '../../log/eventLog.js';
import { call, daemonsPerTest, submit, until } from '../helpers/daemonServer.js';
import { tempDir } from '../helpers/missions.js';

const serve = daemonsPerTest();
const helloYaml = readFileSync('examples/hello.yaml', 'utf8');

function warnings() {
  const msgs: string[] = [];
  const stream = new Writable({
    write(chunk, _e, done) {
      for (const l of String(chunk).split('\n').filter(Boolean)) msgs.push(JSON.parse(l).msg);
      done();
    },
  });
  return { logger: pino({ level: 'warn' }, stream), msgs };
}

async function threeFinished(stateDir: string) {
  const d = await serve({ stateDir });
  const ids: string[] = [];
  for (const id of ['i1', 'i2', 'i3']) {
    await submit(d, helloYaml, { id });
    await until(d, id, 'succeeded');
    ids.push(id);
  }
  const list = (await call(d, 'GET', '/api/missions')).json.missions;
  await d.close();
  return { ids, list };
}

describe('the index of finished missions', () => {
  it('should list finished missions at start from the index, without reading their logs, and read a log when its status is asked', async () => {
    const stateDir = tempDir();
    const { list } = await threeFinished(stateDir);
    expect(readFileSync(join(stateDir, INDEX_FILE), 'utf8').trim().split('\n')).toHaveLength(3);
    const result = (
      JSON.parse(
        readFileSync(EventLog.pathFor(stateDir, 'i2'), 'utf8').trim().split('\n').at(-1)!,
      ) as { result: string }
    ).result;
    // Were i3's log read at start, its first line, torn here, would keep it out of the list.
    const log = EventLog.pathFor(stateDir, 'i3');
    const lines = readFileSync(log, 'utf8').split('\n');
    writeFileSync(log, ['{"seq":1,"torn', ...lines.slice(1)].join('\n'));
    const again = await serve({ stateDir });
    expect(again.daemon.list()).toEqual(list);
    expect((await call(again, 'GET', '/api/missions/i2')).json).toMatchObject({
      state: 'succeeded',
      result,
    });
  });

  it('should read the missions of an unreadable index line from their logs, warn with where, and index them again', async () => {
    const stateDir = tempDir();
    const { list } = await threeFinished(stateDir);
    const index = join(stateDir, INDEX_FILE);
    const lines = readFileSync(index, 'utf8').trim().split('\n');
    writeFileSync(index, `${[lines[0], '{not json', lines[2]].join('\n')}\n`);
    const { logger, msgs } = warnings();
    const again = await serve({ stateDir, logger });
    expect(again.daemon.list()).toEqual(list);
    expect(msgs).toContainEqual(
      expect.stringMatching(
        /1 unreadable line\(s\) in the mission index skipped \(.*index\.jsonl:2\)/,
      ),
    );
    // i2 was read from its log, and is in the index again.
    expect(readFileSync(index, 'utf8')).toContain('"id":"i2"');
  });
});
