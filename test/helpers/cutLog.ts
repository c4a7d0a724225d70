/**
 * A mission log cut after some event, as a kill -9 there leaves it, or with a
 * `mission.suspended` after the cut, as a SIGTERM there leaves it: written as mission `m1` of a
 * fresh state dir, for a daemon to resume.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventLog } from '../../log/eventLog.js';
import { mission, tempDir } from './missions.js';

export function cutLog(
  prefix: string[],
  suspended: boolean,
): { stateDir: string; file: string; tail: string[] } {
  const stateDir = tempDir();
  mkdirSync(join(stateDir, 'missions'));
  const file = EventLog.pathFor(stateDir, 'm1');
  const tail = suspended
    ? [
        JSON.stringify({
          seq: JSON.parse(prefix.at(-1)!).seq + 1,
          ts: new Date().toISOString(),
          mission: 'm1',
          v: 2,
          type: 'mission.suspended',
        }),
      ]
    : [];
  writeFileSync(file, `${[...prefix, ...tail].join('\n')}\n`);
  return { stateDir, file, tail };
}

/** Two stages, each one scripted agent: a log with a clean cut between its stages. */
export const twoStages = mission({
  providers: {
    s: { kind: 'scripted', responses: ['one'] },
    t: { kind: 'scripted', responses: ['two'] },
  },
  agents: [
    { id: 'a', provider: 's' },
    { id: 'b', provider: 't' },
  ],
  stages: [
    { name: 'first', prompt: 'Say one.', agents: ['a'] },
    { name: 'second', prompt: 'Then: {{previous}}', agents: ['b'] },
  ],
});

/** The log's lines with every event's mission renamed: another mission, as the daemon reads it. */
export function renamedLog(lines: string[], id: string): string {
  return `${lines.map((l) => JSON.stringify({ ...JSON.parse(l), mission: id })).join('\n')}\n`;
}
