/**
 * How long a daemon takes to start over a state dir with N finished missions in history, the
 * first time (no index: every log is read, and the index is written) and the next (the index is
 * read instead). `npm run bench:start-daemon -- [--missions 1000,10000]`. The logs are copies of
 * one finished prompt mission (test/fixtures/logs/release-0.1-prompt.jsonl), under new ids.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { Daemon } from '../daemon/daemon.js';
import { EventLog } from '../log/eventLog.js';

const { values } = parseArgs({ options: { missions: { type: 'string', default: '1000,10000' } } });
const fixture = readFileSync('test/fixtures/logs/release-0.1-prompt.jsonl', 'utf8');
const original = (JSON.parse(fixture.split('\n')[0]!) as { mission: string }).mission;

function timedStart(stateDir: string): { ms: number; finished: number } {
  const d = new Daemon({ stateDir, logger: pino({ level: 'silent' }), syncEveryMs: 0 });
  const t = performance.now();
  const { finished } = d.start();
  const ms = performance.now() - t;
  void d.shutdown();
  return { ms, finished };
}

for (const n of values.missions.split(',').map(Number)) {
  const stateDir = mkdtempSync(join(tmpdir(), 'maestro-start-'));
  mkdirSync(join(stateDir, 'missions'));
  for (let i = 0; i < n; i++) {
    const id = `hist-${String(i).padStart(6, '0')}`;
    writeFileSync(EventLog.pathFor(stateDir, id), fixture.replaceAll(original, id));
  }
  const first = timedStart(stateDir);
  const second = timedStart(stateDir);
  console.log(
    `${n} finished missions in history: first start ${first.ms.toFixed(0)} ms (reads every log, writes the index), next start ${second.ms.toFixed(0)} ms (reads the index); ${second.finished} listed`,
  );
}
