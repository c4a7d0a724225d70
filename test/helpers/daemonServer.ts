/**
 * The real `Daemon` in process, on a temp state directory, served over real HTTP the way
 * `maestro daemon` serves it: the inspector server with the API handler mounted on `/api/`.
 * `call` speaks JSON; `readStream` reads an event stream to its end.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { afterEach, expect } from 'vitest';
import { createApiHandler } from '../../daemon/daemonHttp.js';
import { InspectorHub } from '../../inspector/hub.js';
import { startInspectorServer, type InspectorServer } from '../../inspector/server.js';
import { submitPolicySchema, type SubmitPolicyInput } from '../../daemon/submitPolicy.js';
import { Daemon } from '../../daemon/daemon.js';
import { DaemonMetrics } from '../../daemon/daemonMetrics.js';
import { daemonMissionSource, describeEvent, inspectorWrite } from '../../cli/inspectorSources.js';
import { eventually } from './eventually.js';
import { tempDir } from './missions.js';

export const daemonToken = 'daemon-test-token-1234';

export interface ServedDaemon {
  daemon: Daemon;
  server: InspectorServer;
  stateDir: string;
  started: { resumed: string[]; finished: number };
  /** Shuts the daemon down (suspending what runs), then closes the server; once. */
  close(): Promise<void>;
}

export interface ServeOptions {
  stateDir?: string;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  /** What submitted missions may run and read (defaults filled in). @default the daemon's default: nothing */
  submitPolicy?: SubmitPolicyInput;
  /** Serve `/metrics` (fed by every event, as `maestro daemon` feeds it), with `authReads` or not. */
  metrics?: { authReads?: boolean };
  /** The inspector's reads (ws, snapshot, mission list, histories) need the token, as under `--auth-reads`. */
  authReads?: boolean;
}

export async function serveDaemon({
  stateDir = tempDir('maestro-daemon-'),
  env = {},
  logger,
  submitPolicy,
  metrics: withMetrics,
  authReads,
}: ServeOptions = {}): Promise<ServedDaemon> {
  // Wired as `maestro daemon` wires them: the hub observes the missions and is served beside the API.
  const hub = new InspectorHub({ describe: describeEvent });
  hub.start();
  let metrics: DaemonMetrics | undefined;
  const daemon = new Daemon({
    stateDir,
    logger: logger ?? pino({ level: 'silent' }),
    env,
    observer: hub,
    syncEveryMs: withMetrics ? 5 : 0,
    ...(submitPolicy && { submitPolicy: submitPolicySchema.parse(submitPolicy) }),
    ...(withMetrics && { mirror: (e) => metrics?.observe(e) }),
  });
  if (withMetrics) metrics = new DaemonMetrics(() => daemon.list());
  const server = await startInspectorServer(hub, {
    port: 0,
    missions: daemonMissionSource(daemon, hub, stateDir),
    // A page opened with the token answers gates and stops missions, as under `maestro daemon`.
    token: daemonToken,
    onWrite: (msg) => inspectorWrite(daemon, msg),
    ...(authReads && { readToken: daemonToken }),
    api: createApiHandler(daemon, {
      token: daemonToken,
      ...(metrics && { metrics, authReads: withMetrics?.authReads === true }),
    }),
  });
  const started = daemon.start();
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= daemon
      .shutdown()
      .then(() => server.close())
      .finally(() => hub.stop()));
  return { daemon, server, stateDir, started, close };
}

/** The `serve` of one test file: every daemon it starts is closed after each test. */
export function daemonsPerTest(): (options?: ServeOptions) => Promise<ServedDaemon> {
  const served: ServedDaemon[] = [];
  afterEach(async () => {
    await Promise.all(served.splice(0).map((d) => d.close()));
  });
  return async (options) => {
    const d = await serveDaemon(options);
    served.push(d);
    return d;
  };
}

export interface Reply {
  status: number;
  headers: Headers;
  json: Record<string, any>;
}

/** A JSON request (a string body is sent as is, with `type`); the bearer token unless `token` is null. */
export async function call(
  base: ServedDaemon | string,
  method: string,
  path: string,
  {
    body,
    type,
    token = daemonToken,
  }: { body?: unknown; type?: string; token?: string | null } = {},
): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = type ?? 'application/json';
  const url = new URL(path, typeof base === 'string' ? base : base.server.url);
  const res = await fetch(url, {
    method,
    headers,
    body: typeof body === 'string' || body === undefined ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    json: text ? (JSON.parse(text) as Record<string, any>) : {},
  };
}

/** Submits `source` as JSON (with `extra` fields: id, input, filename); the new mission's id. */
export async function submit(
  d: ServedDaemon,
  source: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const res = await call(d, 'POST', '/api/missions', { body: { source, ...extra } });
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return res.json.id as string;
}

/** Polls the mission's status over HTTP until it is in `state`; returns that status. */
export async function until(
  d: ServedDaemon,
  id: string,
  state: string,
  timeoutMs = 10_000,
): Promise<Record<string, any>> {
  let status: Record<string, any> = {};
  await eventually(async () => {
    status = (await call(d, 'GET', `/api/missions/${id}`)).json;
    expect(status.state).toBe(state);
  }, timeoutMs);
  return status;
}

export interface SseBlock {
  id?: string;
  event?: string;
  data?: string;
}

/** GETs an event stream and reads it until the server ends it; the raw text and its blocks. */
export async function readStream(
  d: ServedDaemon,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; blocks: SseBlock[] }> {
  const res = await fetch(new URL(path, d.server.url), { headers });
  const text = await res.text();
  return { status: res.status, text, blocks: sseBlocks(text) };
}

/** An event stream read as it arrives: `readUntil` reads on until the text so far passes `done`. */
export async function openStream(
  d: ServedDaemon,
  path: string,
  headers: Record<string, string> = {},
) {
  const res = await fetch(new URL(path, d.server.url), { headers });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  return {
    status: res.status,
    text: () => text,
    async readUntil(done: (text: string) => boolean): Promise<void> {
      while (!done(text)) {
        const chunk = await reader.read();
        if (chunk.done) throw new Error(`the stream ended first; it sent:\n${text}`);
        text += decoder.decode(chunk.value, { stream: true });
      }
    },
  };
}

export function sseBlocks(text: string): SseBlock[] {
  return text
    .split('\n\n')
    .filter((b) => b.trim() !== '' && !b.startsWith(':'))
    .map((b) => {
      const block: SseBlock = {};
      for (const line of b.split('\n')) {
        const colon = line.indexOf(':');
        const field = line.slice(0, colon);
        if (field === 'id' || field === 'event' || field === 'data')
          block[field] = line.slice(colon + 2);
      }
      return block;
    });
}

/** The files of the state directory's `missions/` folder. */
export function missionFiles(stateDir: string): string[] {
  const dir = join(stateDir, 'missions');
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}
