/**
 * How fast a daemon process answers over a long history: state dirs with N finished missions
 * (one small real finished log copied N times under new ids, plus its `index.jsonl` line each, in
 * `daemon/missionIndex.ts`'s format), a `maestro daemon` spawned on each, and the time from the
 * spawn to its first 200 on `GET /api/health`, then to the whole of `GET /api/missions`. An empty
 * state dir is timed first: what node and tsx take to start, whatever the history.
 *
 * Run by `npm run bench:soak` after its soak, or alone: `npm run bench:soak -- --history-only
 * [--history 1000,10000,100000]` (the template log is then a fresh run of examples/hello.yaml).
 * Also the spawn helper the soak uses: every daemon spawned here is killed when the bench exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const live = new Set<ChildProcess>();
let exitHooked = false;

/**
 * `maestro daemon` from the sources (cli/dev.js runs cli/main.ts through tsx), with --expose-gc
 * for `GET /api/health?gc=1`; its stderr (warnings and worse) goes to `logFile`.
 */
export function spawnDaemon(stateDir: string, listen: string, logFile: string): ChildProcess {
  if (!exitHooked) {
    exitHooked = true;
    process.on('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
    for (const sig of ['SIGINT', 'SIGTERM'] as const)
      process.on(sig, () => {
        process.stderr.write(`soak: ${sig}: killing the daemon\n`);
        process.exit(130);
      });
  }
  const err = openSync(logFile, 'a');
  const child = spawn(
    process.execPath,
    [
      '--expose-gc',
      join(repoRoot, 'cli/dev.js'),
      'daemon',
      '--state-dir',
      stateDir,
      '--listen',
      listen,
      '--log-level',
      'warn',
      '--json',
    ],
    { cwd: repoRoot, stdio: ['ignore', 'ignore', err] },
  );
  closeSync(err);
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Resolves with the exit code (or the signal's name) once the process is gone. */
export function exitOf(child: ChildProcess): Promise<number | string> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  if (child.signalCode !== null) return Promise.resolve(child.signalCode);
  return new Promise((resolve) => child.once('exit', (code, sig) => resolve(code ?? sig ?? -1)));
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The finished mission a history is made of: its log, with its id, name, stages and times. */
export interface TemplateLog {
  id: string;
  text: string;
}

export interface HistoryFigure {
  missions: number;
  buildMs: number;
  /** Spawn → first 200 of GET /api/health (of the faster of two starts, by uptimeMs). */
  healthMs: number;
  /** The daemon's own `uptimeMs` in that answer: from its Daemon object, past node's and tsx's start. */
  uptimeMs: number;
  /** Spawn → the whole body of GET /api/missions. */
  listMs: number;
  listBytes: number;
  listed: number;
  heapBytes: number;
  rssBytes: number;
}

/** Times a daemon's first answers over each history size (0 first: the process's own start). */
export async function historyFigures(
  template: TemplateLog,
  sizes: number[],
  workDir: string,
): Promise<HistoryFigure[]> {
  const out: HistoryFigure[] = [];
  for (const n of [0, ...sizes]) {
    const stateDir = join(workDir, `history-${n}`);
    const t = performance.now();
    buildHistory(stateDir, template, n);
    const buildMs = performance.now() - t;
    const a = await timeFirstAnswers(stateDir, workDir);
    const b = await timeFirstAnswers(stateDir, workDir);
    out.push({ missions: n, buildMs, ...(a.uptimeMs <= b.uptimeMs ? a : b) });
    rmSync(stateDir, { recursive: true, force: true });
  }
  return out;
}

/** N copies of the template's log under ids `hist-<n>`, and the index naming them all. */
function buildHistory(stateDir: string, template: TemplateLog, n: number): void {
  mkdirSync(join(stateDir, 'missions'), { recursive: true });
  const lines = template.text.split('\n').filter((l) => l.trim() !== '');
  const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const first = events[0]!;
  const finished = events.findLast((e) => e['type'] === 'mission.finished');
  const started = events.find((e) => e['type'] === 'mission.started');
  if (!finished || !started) throw new Error(`template log of '${template.id}' is not finished`);
  const index: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = `hist-${String(i).padStart(6, '0')}`;
    writeFileSync(
      join(stateDir, 'missions', `${id}.jsonl`),
      template.text.replaceAll(template.id, id),
    );
    index.push(
      JSON.stringify({
        v: 1,
        id,
        name: started['name'],
        state: 'succeeded',
        submittedAt: first['ts'],
        finishedAt: finished['ts'],
        stages: started['stages'],
      }),
    );
  }
  if (n > 0) writeFileSync(join(stateDir, 'index.jsonl'), `${index.join('\n')}\n`);
}

async function timeFirstAnswers(
  stateDir: string,
  workDir: string,
): Promise<Omit<HistoryFigure, 'missions' | 'buildMs'>> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const t0 = performance.now();
  const child = spawnDaemon(stateDir, `127.0.0.1:${port}`, join(workDir, 'history-daemon.log'));
  try {
    let healthMs: number | undefined;
    let uptimeMs = 0;
    while (healthMs === undefined) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`the daemon over ${stateDir} exited before answering (see its log)`);
      if (performance.now() - t0 > 600_000) throw new Error('no answer in 10 minutes');
      try {
        const r = await fetch(`${url}api/health`, { signal: AbortSignal.timeout(5000) });
        const h = (await r.json()) as { uptimeMs: number };
        if (r.status === 200) {
          healthMs = performance.now() - t0;
          uptimeMs = h.uptimeMs;
        }
      } catch {
        await sleep(2);
      }
    }
    const r = await fetch(`${url}api/missions`);
    const body = await r.text();
    const listMs = performance.now() - t0;
    const listed = (JSON.parse(body) as { missions: unknown[] }).missions.length;
    const token = JSON.parse(readFileSync(join(stateDir, 'daemon.json'), 'utf8')).token as string;
    const h = (await (
      await fetch(`${url}api/health?gc=1`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as { memory: { rssBytes: number; heapUsedBytes: number } };
    return {
      healthMs,
      uptimeMs,
      listMs,
      listBytes: Buffer.byteLength(body),
      listed,
      heapBytes: h.memory.heapUsedBytes,
      rssBytes: h.memory.rssBytes,
    };
  } finally {
    child.kill('SIGTERM');
    await exitOf(child);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/** The figures, one a line, with the target beside the 100,000 one. */
export function printHistory(figures: HistoryFigure[]): void {
  const base = figures.find((f) => f.missions === 0);
  for (const f of figures) {
    const name = f.missions === 0 ? 'an empty state dir' : `${f.missions} finished in history`;
    const target =
      f.missions === 100_000 ? ` (target <= 500 ms)${f.uptimeMs <= 500 ? '' : ' MISSED'}` : '';
    const spawn = `${f.healthMs.toFixed(0)} ms after the spawn, node and tsx included${base && f !== base ? ` (${base.healthMs.toFixed(0)} ms over an empty state dir)` : ''}`;
    console.log(
      `start to first API answer, ${name}: ${f.uptimeMs} ms after the daemon's start (its uptime in that answer)${target}; ${spawn}`,
    );
    if (f.missions === 0) continue;
    console.log(
      `full GET /api/missions, ${name}: ${(f.listMs - f.healthMs).toFixed(0)} ms after the first answer, ${f.listBytes} bytes, ${f.listed} listed`,
    );
    console.log(
      `daemon heap after a full GC, ${name}: ${mb(f.heapBytes)} MB (RSS ${mb(f.rssBytes)} MB); state dir built in ${(f.buildMs / 1000).toFixed(1)} s`,
    );
  }
}

const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

/** Alone: a template from one run of examples/hello.yaml in a fresh daemon. */
export async function historyOnly(sizes: number[]): Promise<void> {
  const workDir = mkdtempSync(join(tmpdir(), 'maestro-soak-history-'));
  try {
    const template = await helloTemplate(workDir);
    printHistory(await historyFigures(template, sizes, workDir));
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

async function helloTemplate(workDir: string): Promise<TemplateLog> {
  const stateDir = join(workDir, 'template');
  const child = spawnDaemon(stateDir, '127.0.0.1:0', join(workDir, 'history-daemon.log'));
  try {
    const info = join(stateDir, 'daemon.json');
    for (let i = 0; !existsSync(info); i++) {
      if (i > 3000) throw new Error('the template daemon never wrote daemon.json');
      await sleep(10);
    }
    await sleep(20);
    const { url, token } = JSON.parse(readFileSync(info, 'utf8')) as { url: string; token: string };
    const id = 'hist-template';
    const r = await fetch(`${url}api/missions?id=${id}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/yaml' },
      body: readFileSync(join(repoRoot, 'examples/hello.yaml'), 'utf8'),
    });
    if (r.status !== 201) throw new Error(`template submit: ${r.status} ${await r.text()}`);
    for (;;) {
      const s = (await (await fetch(`${url}api/missions/${id}`)).json()) as { state: string };
      if (s.state === 'succeeded') break;
      if (s.state === 'failed' || s.state === 'stopped') throw new Error(`template ${s.state}`);
      await sleep(20);
    }
  } finally {
    child.kill('SIGTERM');
    await exitOf(child);
  }
  return {
    id: 'hist-template',
    text: readFileSync(join(stateDir, 'missions/hist-template.jsonl'), 'utf8'),
  };
}

export function parseSizes(text: string): number[] {
  return text === 'none' ? [] : text.split(',').map((s) => Number(s.replaceAll('_', '')));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({
    options: { history: { type: 'string', default: '1000,10000,100000' } },
    strict: false,
  });
  await historyOnly(parseSizes(String(values.history)));
}
