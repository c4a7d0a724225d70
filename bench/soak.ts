/**
 * Issue 20's soak: N missions submitted over a real `maestro daemon` process's HTTP API, M in
 * flight, with realistic provider faults, one SIGTERM at 30% of the submissions and one kill -9
 * at 60% (the daemon is started again on the same state dir each time), then the start times
 * over a long history (`soakHistory.ts`). `npm run bench:soak -- [--missions 10000]
 * [--in-flight 64] [--history 1000,10000,100000|none] [--intensity N] [--poll-ms 100] [--keep]`;
 * `--history-only` times the history alone; `--in-process` runs the older in-process soak (a
 * `Daemon` object, no HTTP, 2,000 missions, half prompt and half MAKER).
 *
 * The mix, by mission index: 40% prompt missions (examples/hello.yaml's shape: 2 stages, 3
 * agents on scripted providers), 40% MAKER (Hanoi, 4 disks, k 3, at most 15 steps, on the
 * simulated provider), 20% approval missions (a stage with `approval: true`, approved by this
 * bench over POST /api/approvals/ID). Every stage is at the default restart limits (OTP's 1 in
 * 5 s) unless `--intensity N`. Faults per scripted call, drawn from a seed per mission: 4% crash,
 * 1% rate limit (ProviderRateLimitError, a 429), 1% malformed answer (ProviderResponseError),
 * 0.5% answering 1 s past the agent's 3 s timeout; the others answer in 20-600 ms (so that a restart
 * often finds a stage with one agent answered and one not). A scripted provider retries a
 * retryable failure itself `--provider-retries` times (default 2, 100 ms backoff), as the openai
 * provider's SDK does by default: with 0, every fault crashes the agent, and at OTP's default
 * limits (1 restart in 5 s) about 1.7% of prompt missions fail (two crashes in a stage). MAKER samples:
 * 5% crash (the 4% and the 1% of rate limits: the simulated provider has only a retryable crash,
 * which a MAKER stage treats as it treats a 429, a lost draw), 2% red flags (half malformed,
 * half too long), 1% well-formed wrong answers, latency lognormal (median 10 ms, sigma 1.2)
 * against a 250 ms timeout: 0.37% of samples past it, more when the daemon's event loop lags.
 *
 * Not modelled: real models and networks (no HTTP to a provider, so no SDK retries, no 5xx
 * bodies, no slow streams), rate limits in bursts or with Retry-After, rejected approvals, plan
 * stages, NATS workers, a full disk, and a host crash (kill -9 loses no page cache; a power cut
 * would lose what was not fdatasync'd). Latency is seen by polling GET /api/missions/ID every
 * --poll-ms: the time a client sees, to about that much; the daemon's own (its submittedAt to
 * finishedAt) is printed beside it.
 *
 * Over 400 lines for a reason: one bench whose figures must all come from one run, read top to
 * bottom (the mix, the daemon's restarts, one mission, the samples, the logs, the figures); the
 * history and the daemon's spawn are in soakHistory.ts, the older in-process soak in
 * soakInProcess.ts.
 */
import { execSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { mulberry32, type Random } from '../actors/providers/random.js';
import {
  exitOf,
  historyFigures,
  historyOnly,
  parseSizes,
  printHistory,
  sleep,
  spawnDaemon,
} from './soakHistory.js';
import { inProcessSoak, kb, mb, over } from './soakInProcess.js';

const { values } = parseArgs({
  options: {
    missions: { type: 'string' },
    'in-flight': { type: 'string' },
    'crash-rate': { type: 'string', default: '0.04' },
    'rate-limit-rate': { type: 'string', default: '0.01' },
    'provider-retries': { type: 'string', default: '2' },
    'malformed-rate': { type: 'string', default: '0.01' },
    'slow-rate': { type: 'string', default: '0.005' },
    intensity: { type: 'string' },
    'poll-ms': { type: 'string', default: '100' },
    'mission-timeout-ms': { type: 'string', default: '180000' },
    history: { type: 'string', default: '1000,10000,100000' },
    'history-only': { type: 'boolean', default: false },
    'in-process': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});

if (values['in-process']) {
  // the older soak: a Daemon object in this process (soakInProcess.ts)
  await inProcessSoak(
    Number(values.missions ?? 2000),
    Number(values['in-flight'] ?? 16),
    Number(values['crash-rate']) + Number(values['rate-limit-rate']),
  );
  process.exit(0);
}
if (values['history-only']) {
  await historyOnly(parseSizes(values.history));
  process.exit(0);
}

const total = Number(values.missions ?? 10_000);
const inFlight = Number(values['in-flight'] ?? 64);
const faults = {
  crash: Number(values['crash-rate']),
  rateLimit: Number(values['rate-limit-rate']),
  malformed: Number(values['malformed-rate']),
  slow: Number(values['slow-rate']),
};
const pollMs = Number(values['poll-ms']);
const missionTimeoutMs = Number(values['mission-timeout-ms']);
/** Retries a scripted provider makes itself (`maxRetries`, 100 ms backoff), as the openai SDK's 2 do. */
const providerRetries = Number(values['provider-retries']);
/** Above a call's worst case with its retries (3 x 600 ms + 300 ms of backoff). */
const AGENT_TIMEOUT_MS = 3000;
const SAMPLE_EVERY = 250;
const workDir = mkdtempSync(join(tmpdir(), 'maestro-soak-'));
const stateDir = join(workDir, 'state');
const daemonLog = join(workDir, 'daemon.log');
const clockTicks = Number(execSync('getconf CLK_TCK').toString().trim()) || 100;

// ---- the missions

type Kind = 'prompt' | 'maker' | 'approval';
const kindOf = (i: number): Kind =>
  (['prompt', 'prompt', 'maker', 'maker', 'approval'] as const)[i % 5]!;
const missionId = (i: number) => `soak-${String(i).padStart(6, '0')}`;

/** `calls` calls' worth of draws, then a clean answer: faults i.i.d. per call, as a provider's. */
function script(r: Random, calls: number, text: string): unknown[] {
  const out: unknown[] = [];
  for (let n = 0; n < calls + 4; n++) {
    const delayMs = 20 + Math.floor(r() * 580);
    let x = r();
    if ((x -= faults.crash) < 0)
      out.push({ error: 'connection reset by peer', errorKind: 'crash', delayMs });
    else if ((x -= faults.rateLimit) < 0)
      out.push({ error: '429 too many requests', errorKind: 'rate_limit', delayMs });
    else if ((x -= faults.malformed) < 0)
      out.push({ error: 'unexpected end of JSON input', errorKind: 'malformed', delayMs });
    else if ((x -= faults.slow) < 0) out.push({ text, delayMs: AGENT_TIMEOUT_MS + 1000 });
    else out.push({ text, delayMs });
  }
  out.push(text);
  return out;
}

const agent = (id: string, provider: string) => ({ id, provider, timeoutMs: AGENT_TIMEOUT_MS });
const scripted = (responses: unknown[]) => ({
  kind: 'scripted',
  responses,
  ...(providerRetries > 0 && { maxRetries: providerRetries, retryBackoffMs: 100 }),
});
/** `--intensity N`: prompt stages allow N restarts in 5 s (default: OTP's, 1). */
const supervision =
  values.intensity === undefined ? {} : { supervision: { intensity: Number(values.intensity) } };

function sourceOf(i: number): string {
  const r = mulberry32(0x5eed + i);
  const kind = kindOf(i);
  if (kind === 'prompt')
    return stringify({
      name: 'soak-prompt',
      input: 'supervision trees',
      providers: {
        poet: scripted(script(r, 1, 'Workers fall and rise')),
        reviewers: scripted(script(r, 2, 'Children fall and rise')),
      },
      agents: [
        agent('drafter', 'poet'),
        agent('editor', 'reviewers'),
        agent('critic', 'reviewers'),
      ],
      stages: [
        {
          name: 'draft',
          prompt: 'Write a haiku about {{input}}.',
          agents: ['drafter'],
          ...supervision,
        },
        {
          name: 'polish',
          prompt: 'Improve this haiku.',
          agents: ['editor', 'critic'],
          ...supervision,
        },
      ],
      budget: { tokens: 10_000 },
    });
  if (kind === 'approval')
    return stringify({
      name: 'soak-approval',
      input: 'add a health endpoint',
      providers: {
        planner: scripted(script(r, 1, 'Plan: add GET /health; one test.')),
        builder: scripted(script(r, 1, 'Done: /health added.')),
      },
      agents: [agent('architect', 'planner'), agent('engineer', 'builder')],
      stages: [
        {
          name: 'plan',
          prompt: 'Plan this change: {{input}}',
          agents: ['architect'],
          approval: true,
          ...supervision,
        },
        {
          name: 'build',
          prompt: 'Carry out this plan:\n{{previous}}',
          agents: ['engineer'],
          ...supervision,
        },
      ],
    });
  return stringify({
    name: 'soak-maker',
    providers: {
      sim: {
        kind: 'simulated',
        seed: i + 1,
        errorRate: 0.01,
        crashRate: faults.crash + faults.rateLimit,
        latencyMs: { distribution: 'lognormal', medianMs: 10, sigma: 1.2 },
        task: { kind: 'hanoi', errorMode: 'dominant', redFlagRate: 2 * faults.malformed },
      },
    },
    // 10 ms · e^(1.2 · 2.68): 0.37% of the lognormal's samples take longer.
    agents: [{ id: 'solver', provider: 'sim', timeoutMs: 250 }],
    stages: [
      {
        name: 'solve',
        // k 3, not 2: at k 2 two agreeing wrong samples (dominant errors, 1%) decide a wrong move
        // once in ~10,000 steps, and Hanoi's strategy never reaches the goal from off its path;
        // maxSteps makes such a mission fail instead of voting for ever.
        maker: {
          task: { kind: 'hanoi', disks: 4 },
          agent: 'solver',
          k: 3,
          maxSamples: 20,
          maxSteps: 15,
        },
      },
    ],
  });
}

// ---- the daemon process, stopped and started again mid-run

interface Running {
  child: ChildProcess;
  pid: number;
  url: string;
  token: string;
  gen: number;
  spawnedAt: number;
  expectExit: boolean;
}
let daemon: Running | undefined;
let isUp = false;
let markUp: () => void = () => {};
let up: Promise<void> = new Promise((r) => (markUp = r));
const tokens = new Set<string>();
const restarts: {
  how: string;
  atSubmitted: number;
  exit: number | string;
  stopMs: number;
  upMs: number;
  /** The daemon's uptime in its first answer: from its Daemon object, after node's and tsx's start. */
  uptimeMs: number;
  /** Spawn → the whole list (GET /api/missions waits until every mission is known). */
  listMs?: number;
  finished: number;
}[] = [];
let daemonCpuMs = 0;
let unexpectedExits = 0;

function markDown(): void {
  isUp = false;
  up = new Promise((r) => (markUp = r));
}

async function startDaemon(
  gen: number,
): Promise<{ upMs: number; uptimeMs: number; listed: Promise<number> }> {
  const t0 = performance.now();
  const child = spawnDaemon(stateDir, '127.0.0.1:0', daemonLog);
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  let info: { url: string; token: string; pid: number } | undefined;
  while (!info) {
    if (gone() || performance.now() - t0 > 120_000)
      throw new Error(`the daemon did not start (see ${daemonLog})`);
    try {
      const j = JSON.parse(readFileSync(join(stateDir, 'daemon.json'), 'utf8'));
      if (j.pid === child.pid) info = j;
    } catch {
      // not written yet, or the last daemon's (a kill -9 leaves it behind)
    }
    if (!info) await sleep(5);
  }
  let uptimeMs = 0;
  for (;;) {
    if (gone()) throw new Error(`the daemon exited at start (see ${daemonLog})`);
    try {
      const r = await fetch(`${info.url}api/health`, { signal: AbortSignal.timeout(5000) });
      const h = (await r.json()) as { uptimeMs: number };
      if (r.status === 200) {
        uptimeMs = h.uptimeMs;
        break;
      }
    } catch {
      await sleep(5);
    }
  }
  const upMs = performance.now() - t0;
  const d: Running = {
    child,
    pid: info.pid,
    url: info.url,
    token: info.token,
    gen,
    spawnedAt: t0,
    expectExit: false,
  };
  tokens.add(info.token);
  child.once('exit', () => {
    if (d.expectExit) return;
    unexpectedExits++;
    process.stderr.write(`soak: the daemon (pid ${d.pid}) exited on its own; starting it again\n`);
    void restart('crash').catch(fatal);
  });
  daemon = d;
  isUp = true;
  markUp();
  const listed = api('GET', 'api/missions').then(() => performance.now() - t0);
  return { upMs, uptimeMs, listed };
}

async function restart(how: 'SIGTERM' | 'SIGKILL' | 'crash'): Promise<void> {
  const d = daemon!;
  markDown();
  const atSubmitted = submitted;
  daemonCpuMs += cpuMs(d.pid);
  const t = performance.now();
  d.expectExit = true;
  if (how !== 'crash') d.child.kill(how);
  const exit = await exitOf(d.child);
  const stopMs = performance.now() - t;
  process.stderr.write(`soak: ${how}: the daemon exited (${exit}) in ${stopMs.toFixed(0)} ms\n`);
  const { upMs, uptimeMs, listed } = await startDaemon(d.gen + 1);
  const r: (typeof restarts)[number] = { how, atSubmitted, exit, stopMs, upMs, uptimeMs, finished };
  restarts.push(r);
  process.stderr.write(`soak: the daemon answers again ${upMs.toFixed(0)} ms after its spawn\n`);
  r.listMs = await listed;
}

function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) / clockTicks) * 1000;
  } catch {
    return 0;
  }
}

function fatal(err: unknown): never {
  process.stderr.write(`soak: ${(err as Error).stack ?? String(err)}\nwork dir kept: ${workDir}\n`);
  process.exit(1);
}

async function waitUp(): Promise<void> {
  await up;
  await sleep(20);
}

/** One request to the daemon running now; undefined when it did not answer (down, restarting). */
async function api(
  method: 'GET' | 'POST',
  path: string,
  body?: { text: string; type: string },
): Promise<{ status: number; body: any } | undefined> {
  const d = daemon;
  if (!d || !isUp) return undefined;
  const headers: Record<string, string> = { authorization: `Bearer ${d.token}` };
  if (body) headers['content-type'] = body.type;
  const route = `${method} ${path.split('?')[0]!.replace(/\/soak-.*$/, '/ID')}`;
  const t = performance.now();
  try {
    const r = await fetch(`${d.url}${path}`, {
      method,
      headers,
      body: body?.text,
      signal: AbortSignal.timeout(15_000),
    });
    const text = await r.text();
    tally(`${route} ${r.status}`, performance.now() - t);
    return { status: r.status, body: text ? JSON.parse(text) : undefined };
  } catch {
    tally(`${route} no answer`, performance.now() - t);
    return undefined;
  }
}

/** Answers by route and status, with the slowest: what clients saw. */
const answers = new Map<string, { n: number; maxMs: number }>();
/** Requests answered after more than a second: when (s into the run, s after the daemon's spawn). */
const slow: { at: number; sinceSpawn: number; ms: number }[] = [];
function tally(key: string, ms: number): void {
  if (ms > 1000 && / 20\d$/.test(key))
    slow.push({
      at: (performance.now() - ms - started) / 1000,
      sinceSpawn: (performance.now() - ms - (daemon?.spawnedAt ?? 0)) / 1000,
      ms,
    });
  const a = answers.get(key) ?? { n: 0, maxMs: 0 };
  a.n++;
  a.maxMs = Math.max(a.maxMs, ms);
  answers.set(key, a);
}

// ---- one mission: submit (retried with its id), poll, approve

interface Outcome {
  i: number;
  id: string;
  kind: Kind;
  state: string;
  reason?: string;
  polledMs?: number;
  daemonMs?: number;
  submitMs?: number;
}
const outcomes: Outcome[] = [];
let submitted = 0;
let finished = 0;
let submitRetries = 0;
let landedBefore = 0;
let approvalsAnswered = 0;
let unknownPolls = 0;
const refusals = new Map<number, number>();
let sigtermDone = false;
let killDone = false;

async function runMission(i: number): Promise<void> {
  const id = missionId(i);
  const kind = kindOf(i);
  const source = sourceOf(i);
  const t0 = performance.now();
  const timedOut = () => performance.now() - t0 > missionTimeoutMs;
  const end = (o: Omit<Outcome, 'i' | 'id' | 'kind'>) => {
    outcomes.push({ i, id, kind, ...o });
    finished++;
    while (finished >= nextSample) {
      const mark = nextSample;
      nextSample += SAMPLE_EVERY;
      sampling = sampling.then(() => sample(mark));
    }
  };
  for (let tries = 0; ; tries++) {
    if (timedOut()) return end({ state: 'not submitted', reason: 'bench timeout' });
    if (tries > 0) {
      submitRetries++;
      await waitUp();
    }
    const a = await api('POST', `api/missions?id=${id}`, {
      text: source,
      type: 'application/yaml',
    });
    if (a?.status === 201) break;
    if (a?.status === 409 && tries > 0) {
      landedBefore++;
      break;
    }
    if (a?.status === 400 || (a?.status === 409 && tries === 0))
      throw new Error(`submit ${id}: ${a.status} ${JSON.stringify(a.body)}`);
    if (a) refusals.set(a.status, (refusals.get(a.status) ?? 0) + 1);
  }
  submitted++;
  const submitMs = performance.now() - t0;
  if (!sigtermDone && submitted >= total * 0.3) {
    sigtermDone = true;
    void restart('SIGTERM').catch(fatal);
  } else if (!killDone && submitted >= total * 0.6) {
    killDone = true;
    void restart('SIGKILL').catch(fatal);
  }
  for (;;) {
    if (timedOut()) return end({ state: 'never finished', reason: 'bench timeout' });
    await sleep(pollMs);
    const a = await api('GET', `api/missions/${id}`);
    if (!a) {
      await waitUp();
      continue;
    }
    if (a.status === 404) unknownPolls++;
    if (a.status !== 200) continue;
    const s = a.body as {
      state: string;
      submittedAt: string;
      finishedAt?: string;
      error?: { reason: string };
      approvals?: { id: string; status: string }[];
    };
    if (s.state === 'succeeded' || s.state === 'failed' || s.state === 'stopped') {
      return end({
        state: s.state,
        reason: s.error?.reason,
        polledMs: performance.now() - t0,
        submitMs,
        daemonMs: s.finishedAt ? Date.parse(s.finishedAt) - Date.parse(s.submittedAt) : undefined,
      });
    }
    for (const ap of s.approvals ?? []) {
      if (ap.status !== 'pending') continue;
      const r = await api('POST', `api/approvals/${encodeURIComponent(ap.id)}`, {
        text: JSON.stringify({ decision: 'approve' }),
        type: 'application/json',
      });
      if (r?.status === 200 && !r.body.alreadyAnswered) approvalsAnswered++;
    }
  }
}

// ---- memory, descriptors: every SAMPLE_EVERY finished missions, after a full GC

interface Sample {
  mark: number;
  finished: number;
  gen: number;
  heap: number;
  rss: number;
  fds: number;
}
const samples: Sample[] = [];
let nextSample = SAMPLE_EVERY;
let sampling: Promise<void> = Promise.resolve();

async function sample(mark: number): Promise<void> {
  const d = daemon;
  if (!d || !isUp) return;
  let h: { memory: { rssBytes: number; heapUsedBytes: number } } | undefined;
  for (let k = 0; k < 3; k++) {
    const a = await api('GET', 'api/health?gc=1');
    if (a?.status !== 200) return;
    h = a.body;
    await sleep(10);
  }
  samples.push({
    mark,
    finished,
    gen: d.gen,
    heap: h!.memory.heapUsedBytes,
    rss: h!.memory.rssBytes,
    fds: fdCount(d.pid),
  });
}

function fdCount(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return -1;
  }
}

// ---- the run

process.stderr.write(`soak: ${total} missions, ${inFlight} in flight; work dir ${workDir}\n`);
await startDaemon(0).catch(fatal);
const started = performance.now();
let lastProgress = { t: started, finished: 0, pid: 0, daemonCpu: 0, ownCpu: 0 };
const progress = setInterval(() => {
  const t = performance.now();
  const pid = daemon?.pid ?? 0;
  const daemonCpu = cpuMs(pid);
  const own = process.cpuUsage();
  const ownCpu = (own.user + own.system) / 1000;
  const dt = t - lastProgress.t;
  const rate = ((finished - lastProgress.finished) / dt) * 60_000;
  const dCpu = pid === lastProgress.pid ? ((daemonCpu - lastProgress.daemonCpu) / dt) * 100 : NaN;
  const bCpu = ((ownCpu - lastProgress.ownCpu) / dt) * 100;
  lastProgress = { t, finished, pid, daemonCpu, ownCpu };
  process.stderr.write(
    `soak: ${((t - started) / 1000).toFixed(0)} s: ${finished} finished / ${submitted} submitted of ${total}, ${rate.toFixed(0)} missions/min, daemon ${isUp ? `up (pid ${pid}, CPU ${Number.isNaN(dCpu) ? '?' : dCpu.toFixed(0)}%)` : 'down'}, bench CPU ${bCpu.toFixed(0)}%\n`,
  );
}, 5000);
let next = 0;
await Promise.all(
  Array.from({ length: inFlight }, async () => {
    while (next < total) await runMission(next++);
  }),
).catch(fatal);
const seconds = (performance.now() - started) / 1000;
clearInterval(progress);
await sampling;
await up;
if (!samples.some((x) => x.mark === total)) await sample(total);
const last = daemon!;
const list = (await api('GET', 'api/missions'))?.body as {
  missions: { id: string; state: string }[];
};
daemonCpuMs += cpuMs(last.pid);
last.expectExit = true;
last.child.kill('SIGTERM');
const lastExit = await exitOf(last.child);
isUp = false;

// ---- the logs: run twice, answered calls asked again, resumes, faults seen

interface LogFacts {
  finishedEvents: number;
  status?: string;
  resumed: boolean;
  suspended: boolean;
  extraAnswers: number;
  askedAgain: number;
  /** Answered calls of stages not finished when the mission was resumed: what a resume could ask again. */
  atRisk: number;
  decidedTwice: number;
}
const facts = new Map<string, LogFacts>();
const callErrors = new Map<string, number>();
const flagged = new Map<string, number>();
let agentCalls = 0;
let makerSamples = 0;
let carriedSamples = 0;
let unreadableLines = 0;
for (const o of outcomes) {
  let text: string;
  try {
    text = readFileSync(join(stateDir, 'missions', `${o.id}.jsonl`), 'utf8');
  } catch {
    continue;
  }
  const f: LogFacts = {
    finishedEvents: 0,
    resumed: false,
    suspended: false,
    extraAnswers: 0,
    askedAgain: 0,
    atRisk: 0,
    decidedTwice: 0,
  };
  const unfinished = new Map<string, string>();
  const finishedStages = new Set<string>();
  const answers = new Map<string, Set<string>>();
  const okCalls = new Map<string, number>();
  const decided = new Set<string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let e: Record<string, any>;
    try {
      e = JSON.parse(line);
    } catch {
      unreadableLines++;
      continue;
    }
    if (e.type === 'mission.finished') {
      f.finishedEvents++;
      f.status = e.status;
    } else if (e.type === 'mission.resumed') {
      f.resumed = true;
      for (const stage of unfinished.values()) if (!finishedStages.has(stage)) f.atRisk++;
      unfinished.clear();
    } else if (e.type === 'stage.finished')
      finishedStages.add((e.attempt ?? 1) > 1 ? `${e.stage}@${e.attempt}` : e.stage);
    else if (e.type === 'maker.samples') carriedSamples += e.samples.length;
    else if (e.type === 'mission.suspended') f.suspended = true;
    else if (e.type === 'agent.call') {
      agentCalls++;
      if (!e.ok) {
        callErrors.set(e.errorName ?? 'error', (callErrors.get(e.errorName ?? 'error') ?? 0) + 1);
        continue;
      }
      unfinished.set(e.path, String(e.path).split('/stage/')[1]?.split('/')[0] ?? '');
      const n = (okCalls.get(e.path) ?? 0) + 1;
      okCalls.set(e.path, n);
      if (n > 1) f.extraAnswers++;
      const hashes = answers.get(e.path) ?? new Set<string>();
      if (e.promptHash !== undefined && hashes.has(e.promptHash)) f.askedAgain++;
      hashes.add(e.promptHash);
      answers.set(e.path, hashes);
    } else if (e.type === 'maker.vote') {
      makerSamples += e.samples ?? 0;
      for (const [rule, n] of Object.entries(e.flagged ?? {}))
        flagged.set(rule, (flagged.get(rule) ?? 0) + Number(n));
      const key = `${e.path}#${e.step}`;
      if (e.outcome === 'decided' && decided.has(key)) f.decidedTwice++;
      decided.add(key);
    }
  }
  facts.set(o.id, f);
}

// ---- the figures

const count = (p: (o: Outcome) => boolean) => outcomes.filter(p).length;
const kinds = (k: Kind) => count((o) => o.kind === k);
const listed = new Map((list?.missions ?? []).map((m) => [m.id, m.state]));
const lost = outcomes.filter(
  (o) =>
    o.state !== 'not submitted' && (!over(o.state) || !over(listed.get(o.id)) || !facts.has(o.id)),
);
const runTwice = [...facts].filter(
  ([, f]) => f.finishedEvents > 1 || f.extraAnswers > 0 || f.decidedTwice > 0,
);
const askedAgain = [...facts.values()].reduce((n, f) => n + f.askedAgain, 0);
const atRisk = [...facts.values()].reduce((n, f) => n + f.atRisk, 0);
const disagree = outcomes.filter(
  (o) => over(o.state) && (listed.get(o.id) !== o.state || facts.get(o.id)?.status !== o.state),
);
const succeeded = count((o) => o.state === 'succeeded');
const failures = outcomes.filter((o) => o.state === 'failed' || o.state === 'stopped');
const byReason = new Map<string, number>();
for (const o of failures) {
  const key = `${o.kind} ${o.state}${o.reason ? ` ${o.reason}` : ''}`;
  byReason.set(key, (byReason.get(key) ?? 0) + 1);
}
const failureRate = ((total - succeeded) / total) * 100;
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : Number.NaN;
};
const polled = outcomes.flatMap((o) => (o.polledMs === undefined ? [] : [o.polledMs]));
const ownMs = outcomes.flatMap((o) => (o.daemonMs === undefined ? [] : [o.daemonMs]));
const submitMs = outcomes.flatMap((o) => (o.submitMs === undefined ? [] : [o.submitMs]));
const target = (ok: boolean, text: string) => ` (target ${text})${ok ? '' : ' MISSED'}`;
const dirBytes = (dir: string): number =>
  readdirSync(dir, { withFileTypes: true }).reduce(
    (n, e) =>
      n + (e.isDirectory() ? dirBytes(join(dir, e.name)) : statSync(join(dir, e.name)).size),
    0,
  );
const stateBytes = dirBytes(stateDir);

/** Least squares slope of heap over finished missions, per daemon process, after the first 1,000. */
function heapSlope(gen: number): { slope: number; span: number } | undefined {
  const s = samples.filter((x) => x.gen === gen && x.finished >= 1000);
  if (s.length < 3) return undefined;
  const mx = s.reduce((n, x) => n + x.finished, 0) / s.length;
  const my = s.reduce((n, x) => n + x.heap, 0) / s.length;
  const sxy = s.reduce((n, x) => n + (x.finished - mx) * (x.heap - my), 0);
  const sxx = s.reduce((n, x) => n + (x.finished - mx) ** 2, 0);
  return sxx > 0 ? { slope: sxy / sxx, span: s.at(-1)!.finished - s[0]!.finished } : undefined;
}
const slopes = [0, 1, 2, 3].flatMap((g) => {
  const s = heapSlope(g);
  return s ? [{ gen: g, ...s }] : [];
});
const spanAll = slopes.reduce((n, s) => n + s.span, 0);
const growth =
  spanAll > 0 ? slopes.reduce((n, s) => n + s.slope * s.span, 0) / spanAll : Number.NaN;

console.log(
  `missions: ${total} (${kinds('prompt')} prompt, ${kinds('maker')} MAKER, ${kinds('approval')} approval), ${inFlight} in flight, ${values.intensity === undefined ? 'default restart limits' : `prompt and approval stages at ${values.intensity} restarts in 5 s`}`,
);
console.log(
  `faults per call: crash ${faults.crash * 100}%, rate limit ${faults.rateLimit * 100}%, malformed ${faults.malformed * 100}%, past the agent timeout ${faults.slow * 100}%; a scripted provider retries ${providerRetries} time(s) itself`,
);
console.log(
  `submitted: ${submitted} (retried submissions ${submitRetries}, of which had landed (409) ${landedBefore}; refusals by status ${JSON.stringify(Object.fromEntries(refusals))})`,
);
console.log(`succeeded: ${succeeded}`);
console.log(
  `failed: ${failures.length}${failures.length ? ` (${[...byReason].map(([k, n]) => `${k}: ${n}`).join(', ')})` : ''}`,
);
console.log(
  `lost: ${lost.length}${target(lost.length === 0, '0')}${
    lost.length
      ? ` ${lost
          .slice(0, 5)
          .map((o) => `${o.id} ${o.state}/${listed.get(o.id) ?? 'unknown'}`)
          .join(', ')}`
      : ''
  }`,
);
console.log(
  `run twice: ${runTwice.length}${target(runTwice.length === 0, '0')}${
    runTwice.length
      ? ` ${runTwice
          .slice(0, 5)
          .map(([id]) => id)
          .join(', ')}`
      : ''
  }`,
);
console.log(
  `answered calls asked again after resume: ${askedAgain}${target(askedAgain === 0, '0')}, of ${atRisk} answered calls in stages not finished at a resume; MAKER samples carried over a SIGTERM (maker.samples) ${carriedSamples} (a kill -9 mid-step draws that step's samples again, by design: they are not in the log)`,
);
console.log(
  `status, list and log agree: ${outcomes.length - disagree.length} of ${outcomes.length}${
    disagree.length
      ? ` (not: ${disagree
          .slice(0, 5)
          .map((o) => o.id)
          .join(', ')})`
      : ''
  }`,
);
console.log(
  `failure rate: ${failureRate.toFixed(3)}% (failed and lost)${target(failureRate < 0.05, '< 0.05%')}`,
);
const notOk = (k: Kind) => count((o) => o.kind === k && o.state !== 'succeeded');
console.log(
  `failure rate by kind: ${(['prompt', 'maker', 'approval'] as const).map((k) => `${k} ${((notOk(k) / Math.max(1, kinds(k))) * 100).toFixed(2)}%`).join(', ')}`,
);
console.log(
  `missions per minute: ${((finished / seconds) * 60).toFixed(0)} (${seconds.toFixed(1)} s, the two restarts included)`,
);
console.log(`daemon CPU per mission: ${(daemonCpuMs / finished).toFixed(1)} ms`);
console.log(
  `mission latency p50: ${pct(polled, 50).toFixed(0)} ms (submit to finished as polled every ${pollMs} ms; daemon's submittedAt to finishedAt ${pct(ownMs, 50).toFixed(0)} ms)`,
);
console.log(
  `mission latency p99: ${pct(polled, 99).toFixed(0)} ms (daemon's ${pct(ownMs, 99).toFixed(0)} ms; max polled ${pct(polled, 100).toFixed(0)} ms)`,
);
console.log(
  `submission answered (201/409, retries included) p50: ${pct(submitMs, 50).toFixed(0)} ms, p99: ${pct(submitMs, 99).toFixed(0)} ms`,
);
for (const r of restarts)
  console.log(
    `restart ${r.how} at ${r.atSubmitted} submitted: exited ${r.exit} in ${r.stopMs.toFixed(0)} ms; first API answer ${r.upMs.toFixed(0)} ms after the spawn (${r.uptimeMs} ms after the daemon's start), full list ${r.listMs?.toFixed(0)} ms, ${r.finished} finished in history`,
  );
console.log(`unexpected daemon exits: ${unexpectedExits}; last exit (SIGTERM): ${lastExit}`);
console.log(
  `token stable across restarts: ${tokens.size === 1 ? 'yes' : `no (${tokens.size} tokens)`}`,
);
console.log(
  `missions resumed: ${[...facts.values()].filter((f) => f.resumed).length} (${(['prompt', 'maker', 'approval'] as const).map((k) => `${k} ${count((o) => o.kind === k && facts.get(o.id)?.resumed === true)}`).join(', ')}; suspended by the SIGTERM: ${[...facts.values()].filter((f) => f.suspended).length})`,
);
console.log(`approvals answered: ${approvalsAnswered}; polls answered 404: ${unknownPolls}`);
console.log(
  `API answers by route and status (count, slowest): ${[...answers].map(([k, a]) => `${k}: ${a.n}, ${a.maxMs.toFixed(0)} ms`).join('; ')}`,
);
const slowest = [...slow].sort((a, b) => b.ms - a.ms).slice(0, 3);
console.log(
  `requests answered after more than 1 s: ${slow.length}${slowest.map((x) => `; ${x.ms.toFixed(0)} ms asked ${x.at.toFixed(1)} s into the run, ${x.sinceSpawn.toFixed(1)} s after that daemon's spawn`).join('')}`,
);
console.log(
  `agent calls: ${agentCalls}, failed by error ${JSON.stringify(Object.fromEntries(callErrors))}; MAKER samples ${makerSamples}, red-flagged ${JSON.stringify(Object.fromEntries(flagged))}`,
);
for (const s of samples.filter((x) => x.mark % 1000 === 0 || x.mark === total))
  console.log(
    `heap after a full GC at ${s.mark} finished: ${mb(s.heap)} MB, RSS ${mb(s.rss)} MB, open fds ${s.fds} (daemon process ${s.gen + 1})`,
  );
console.log(
  `heap growth per finished mission: ${Number.isNaN(growth) ? 'n/a (no daemon process finished 3 samples past the first 1,000)' : `${kb(growth)} KB${target(growth <= 2048, '<= 2 KB')}`} (slope per daemon process after the first 1,000: ${slopes.map((s) => `${kb(s.slope)} KB over ${s.span}`).join(', ')})`,
);
console.log(
  `open file descriptors: max ${Math.max(...samples.map((s) => s.fds))}, at the end ${samples.at(-1)?.fds}`,
);
console.log(
  `state-dir bytes per mission: ${(stateBytes / Math.max(1, submitted)).toFixed(0)} (${mb(stateBytes)} MB in all)`,
);
if (unreadableLines) console.log(`unreadable log lines: ${unreadableLines}`);

// ---- the history: a small real finished prompt log of this run, copied

const sizes = parseSizes(values.history);
if (sizes.length) {
  const candidates = outcomes.filter((o) => o.kind === 'prompt' && o.state === 'succeeded');
  const sized = candidates.map((o) => ({
    o,
    size: statSync(join(stateDir, 'missions', `${o.id}.jsonl`)).size,
  }));
  const smallest = sized.sort((a, b) => a.size - b.size)[0]!.o;
  const text = readFileSync(join(stateDir, 'missions', `${smallest.id}.jsonl`), 'utf8');
  process.stderr.write(
    `soak: history start times over ${sizes.join(', ')} copies of ${smallest.id}'s log\n`,
  );
  printHistory(await historyFigures({ id: smallest.id, text }, sizes, workDir).catch(fatal));
}
if (values.keep)
  process.stderr.write(`soak: work dir kept: ${workDir} (daemon log ${daemonLog})\n`);
else rmSync(workDir, { recursive: true, force: true });
process.exit(0);
