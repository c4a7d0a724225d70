/**
 * The client of the daemon's HTTP API (`daemonHttp.ts`), for the CLI and for programs: one method
 * per route, errors as `UserError`s the CLI prints, and the event stream read as Server-Sent
 * Events, resumed with `Last-Event-ID` when a connection drops (`daemonSse.ts`). `resolveDaemon`
 * finds the daemon from the flags, the environment, or the `daemon.json` it writes in its state
 * directory.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { LoggedEvent } from '../log/eventLog.js';
import { UserError, errorMessage, type ConfigIssue } from '../kernel/errors.js';
import type {
  AnswerResult,
  ApprovalDecision,
  ApprovalRecord,
  DaemonHealth,
  MissionStatus,
  MissionSummary,
  PruneRequest,
  PruneResult,
  SubmitRequest,
} from './daemonApi.js';

/** The daemon refused a request: `status` is the HTTP status, the message is the daemon's. */
export class DaemonRequestError extends UserError {
  override name = 'DaemonRequestError';
  constructor(
    readonly status: number,
    message: string,
    readonly issues?: readonly ConfigIssue[],
  ) {
    super(message);
  }
}

export interface DaemonFlags {
  url?: string;
  token?: string;
  'state-dir'?: string;
}

/**
 * Where the daemon is: `--url` or MAESTRO_URL, else `daemon.json` in the state directory; its
 * token from `--token`, MAESTRO_TOKEN, or daemon.json (only for the daemon daemon.json names:
 * the local token must not go to another server).
 */
export function resolveDaemon(
  flags: DaemonFlags,
  env: NodeJS.ProcessEnv = process.env,
): { url: string; token?: string } {
  const stateDir = flags['state-dir'] ?? env.MAESTRO_STATE_DIR ?? '.maestro';
  const url = flags.url ?? env.MAESTRO_URL;
  const token = flags.token ?? env.MAESTRO_TOKEN;
  const file = join(stateDir, 'daemon.json');
  let found: { url?: unknown; token?: unknown } = {};
  if ((url === undefined || token === undefined) && existsSync(file)) {
    try {
      found = JSON.parse(readFileSync(file, 'utf8')) as typeof found;
    } catch (err) {
      if (url === undefined)
        throw new UserError(`cannot read ${file}: ${errorMessage(err)}`, { cause: err });
    }
  }
  const resolved = url ?? (typeof found.url === 'string' ? found.url : undefined);
  if (resolved === undefined) {
    throw new UserError(
      `no maestro daemon found in '${stateDir}' (no daemon.json with a url): start one with 'maestro daemon', or pass --url`,
    );
  }
  const fileToken =
    typeof found.token === 'string' && sameOrigin(resolved, found.url) ? found.token : undefined;
  const chosen = token ?? fileToken;
  return chosen === undefined ? { url: resolved } : { url: resolved, token: chosen };
}

function sameOrigin(a: string, b: unknown): boolean {
  try {
    return typeof b === 'string' && new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

/** How `events` reads a mission's stream. */
export interface EventsOptions {
  /** Resume after this event (its seq, the SSE `id:`): only later events come. @default 0, from the start */
  lastEventId?: number;
  /** Aborting ends the iteration with the abort's error. */
  signal?: AbortSignal;
  /**
   * Reconnections in a row, each after a connection that dropped (or never opened) before the
   * mission's end, before `events` gives up; every event received resets the count. @default 5
   */
  retries?: number;
  /** The wait before the first reconnection, doubled after each until 5 s. @default 200 */
  retryDelayMs?: number;
}

/**
 * A client of the Maestro daemon's HTTP API, what `maestro submit/status/approve/stop` use:
 * one method per route, a refusal as a `DaemonRequestError` with the daemon's status and
 * message, and a mission's events as an async iterator that resumes a dropped stream with
 * `Last-Event-ID`, so no event is lost or repeated.
 *
 * ```ts
 * const client = new MaestroClient({ url: 'http://127.0.0.1:4000/', token });
 * const { id } = await client.submit({ source: yamlText, filename: 'hello.yaml' });
 * for await (const event of client.events(id)) console.log(event.seq, event.type);
 * ```
 */
export class MaestroClient {
  readonly url: string;
  private readonly token: string | undefined;

  /** `url` is the daemon's (`daemon.json`'s `url`); `token` its API token, for what changes state. */
  constructor({ url, token }: { url: string; token?: string }) {
    if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol))
      throw new UserError(`invalid daemon url '${url}': expected http://HOST:PORT/`);
    this.url = url.endsWith('/') ? url : `${url}/`;
    this.token = token;
  }

  /** Submits a mission (its file's text, or a path the daemon reads); answers once it is accepted. */
  submit(request: SubmitRequest): Promise<MissionSummary> {
    return this.json('POST', 'api/missions', request);
  }

  /** Every mission the daemon knows, running or finished. */
  async list(): Promise<MissionSummary[]> {
    return (await this.json<{ missions: MissionSummary[] }>('GET', 'api/missions')).missions;
  }

  /** One mission: its state, stages, approvals, result or error, and usage. */
  status(id: string): Promise<MissionStatus> {
    return this.json('GET', `api/missions/${encodeURIComponent(id)}`);
  }

  /** Asks the daemon to stop a mission; it ends `stopped` once its tree has shut down. */
  stop(id: string, reason?: string): Promise<MissionSummary> {
    return this.json(
      'POST',
      `api/missions/${encodeURIComponent(id)}/stop`,
      reason === undefined ? {} : { reason },
    );
  }

  /** The approvals the daemon's missions wait for. */
  async approvals(): Promise<ApprovalRecord[]> {
    return (await this.json<{ approvals: ApprovalRecord[] }>('GET', 'api/approvals')).approvals;
  }

  /**
   * Answers approval `id` (`MISSION/STAGE/ATTEMPT`): approve, or reject with feedback (the stage
   * revises). Answering twice is harmless: the second answer reports `alreadyAnswered`.
   */
  approve(
    id: string,
    answer: { decision: ApprovalDecision; feedback?: string } = { decision: 'approve' },
  ): Promise<AnswerResult> {
    return this.json('POST', `api/approvals/${encodeURIComponent(id)}`, answer);
  }

  /** Prunes the daemon's history now: its retention, or `retain` for this once. */
  prune(request: PruneRequest = {}): Promise<PruneResult & { retain: string }> {
    return this.json('POST', 'api/history/prune', request);
  }

  /** How the daemon is: its missions (total, live, recovering) and memory. */
  health(): Promise<DaemonHealth> {
    return this.json('GET', 'api/health');
  }

  /** `approve`, by its first name. */
  answer(
    id: string,
    answer: { decision: ApprovalDecision; feedback?: string },
  ): Promise<AnswerResult> {
    return this.approve(id, answer);
  }

  /**
   * Mission `id`'s events, in order, from the start (or after `lastEventId`), live, until the
   * mission's end. A connection that drops is reopened with `Last-Event-ID` (see `EventsOptions`);
   * an event the daemon sends again is skipped. A refusal (an unknown mission) throws.
   */
  events(id: string, options?: EventsOptions): AsyncGenerator<LoggedEvent, void, undefined>;
  /** The first form: `onEvent` for each event after `after`, no reconnection; settles at the end. */
  events(
    id: string,
    after: number,
    onEvent: (e: LoggedEvent) => void,
    signal?: AbortSignal,
  ): Promise<void>;
  events(
    id: string,
    options: EventsOptions | number = {},
    onEvent?: (e: LoggedEvent) => void,
    signal?: AbortSignal,
  ): AsyncGenerator<LoggedEvent, void, undefined> | Promise<void> {
    if (typeof options !== 'number') return this.eventStream(id, options);
    const stream = this.eventStream(id, { lastEventId: options, retries: 0, signal });
    return (async () => {
      for await (const e of stream) onEvent!(e);
    })();
  }

  private async *eventStream(
    id: string,
    { lastEventId = 0, signal, retries = 5, retryDelayMs = 200 }: EventsOptions,
  ): AsyncGenerator<LoggedEvent, void, undefined> {
    let last = lastEventId;
    let failures = 0;
    let opened = false;
    const path = `api/missions/${encodeURIComponent(id)}/events`;
    for (;;) {
      let dropped: unknown;
      try {
        const res = await this.fetch('GET', path, undefined, signal, {
          accept: 'text/event-stream',
          'last-event-id': String(last),
        });
        opened = true;
        if (!res.body)
          throw new DaemonRequestError(
            res.status,
            `the daemon sent no event stream for mission '${id}'`,
          );
        for await (const { event, data } of sseBlocks(res.body)) {
          if (event === 'end') return;
          if (data === undefined) continue;
          const e = JSON.parse(data) as LoggedEvent;
          if (e.seq <= last) continue; // sent again after a reconnection
          last = e.seq;
          failures = 0;
          yield e;
        }
      } catch (err) {
        // A refusal is the daemon's answer, and an abort the caller's: neither is retried.
        if (err instanceof DaemonRequestError || signal?.aborted) throw err;
        dropped = err;
      }
      if (failures >= retries) {
        if (!opened) throw dropped; // it never answered: the fetch's error says why
        throw new UserError(
          `the daemon closed the event stream of mission '${id}' before its end (the last event was ${last})`,
          dropped === undefined ? undefined : { cause: dropped },
        );
      }
      await delay(Math.min(retryDelayMs * 2 ** failures, 5000), signal);
      failures++;
    }
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    return (await (await this.fetch(method, path, body)).json()) as T;
  }

  /** The response when its status is a success; a `DaemonRequestError` with the daemon's message otherwise. */
  private async fetch(
    method: string,
    path: string,
    body?: unknown,
    signal?: AbortSignal,
    extra: Record<string, string> = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { ...extra };
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(new URL(path, this.url), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? errorMessage(err);
      throw new UserError(
        `cannot reach the maestro daemon at ${this.url}: ${why} (is 'maestro daemon' running?)`,
        { cause: err },
      );
    }
    if (res.ok) return res;
    const text = await res.text();
    let answer: { error?: unknown; issues?: ConfigIssue[] } = {};
    try {
      answer = JSON.parse(text) as typeof answer;
    } catch {
      // Not the API (a proxy, the inspector's own refusal): its text says what happened.
    }
    const message =
      typeof answer.error === 'string'
        ? answer.error
        : `the daemon answered ${res.status}: ${text.trim().split('\n')[0] || res.statusText}`;
    throw new DaemonRequestError(res.status, message, answer.issues);
  }
}

/** The first name of `MaestroClient`. */
export const DaemonClient = MaestroClient;
export type DaemonClient = MaestroClient;

/** The SSE blocks of `body` as they arrive; the reader is released when the caller stops early. */
async function* sseBlocks(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<{ event?: string; data?: string }> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        yield sseFields(block);
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/** The event name and the data of one SSE block; comments (`: keepalive`) give neither. */
function sseFields(block: string): { event?: string; data?: string } {
  let event: string | undefined;
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  return { event, data: data.length ? data.join('\n') : undefined };
}
