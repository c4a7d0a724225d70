/**
 * A resumed mission never asks an answered call again: the log of a 3-agent prompt stage (and a
 * stage after it) is cut after every one of its events, as a kill -9 there would leave it, and
 * as a SIGTERM there would (a `mission.suspended` after the cut); a daemon resumes each copy. An
 * agent whose answer the cut log has is replayed from it: its path gets no new `agent.call`.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EventLog } from '../../log/eventLog.js';
import { daemonsPerTest, until } from '../helpers/daemonServer.js';
import { cutLog } from '../helpers/cutLog.js';
import { mission, runAndRead } from '../helpers/missions.js';

const serve = daemonsPerTest();

const config = mission({
  providers: {
    a: { kind: 'scripted', responses: ['answer of a'] },
    b: { kind: 'scripted', responses: ['answer of b'] },
    c: { kind: 'scripted', responses: ['answer of c'] },
    d: { kind: 'scripted', responses: ['the summary'] },
  },
  agents: [
    { id: 'ann', provider: 'a' },
    { id: 'bob', provider: 'b' },
    { id: 'cid', provider: 'c' },
    { id: 'dee', provider: 'd' },
  ],
  stages: [
    { name: 'ask', prompt: 'Say something.', agents: ['ann', 'bob', 'cid'] },
    { name: 'sum', prompt: 'Sum up: {{previous}}', agents: ['dee'] },
  ],
});

describe('resume replays answered calls', () => {
  it('should ask no answered agent again, whichever event a kill -9 or a SIGTERM came after', async () => {
    const straight = await runAndRead(config);
    expect(straight.output.status).toBe('succeeded');
    const lines = readFileSync(straight.eventLogFile, 'utf8').trim().split('\n');
    const finishedAt = lines.findIndex((l) => l.includes('"type":"mission.finished"'));
    let askedAgain = 0;
    let resumed = 0;
    for (let cut = 1; cut < finishedAt + 1; cut++) {
      for (const suspended of [false, true]) {
        const prefix = lines.slice(0, cut);
        const answered = new Set(
          prefix
            .map((l) => JSON.parse(l))
            .filter((e) => e.type === 'agent.call' && e.ok)
            .map((e) => e.path as string),
        );
        const { stateDir, file, tail } = cutLog(prefix, suspended);
        const d = await serve({ stateDir });
        const status = await until(d, 'm1', 'succeeded');
        expect(status.result, `cut after line ${cut}`).toBe(straight.output.result);
        await d.close();
        const after = EventLog.read(file).slice(prefix.length + tail.length);
        const again = after.filter(
          (e) => e.type === 'agent.call' && e.path !== undefined && answered.has(e.path),
        );
        askedAgain += again.length;
        resumed++;
      }
    }
    expect(resumed).toBe(2 * finishedAt);
    expect(askedAgain).toBe(0);
  }, 120_000);
});
