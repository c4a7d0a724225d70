/**
 * The CLI's side of the daemon's HTTP API (`cli/daemonHttp.ts`): one method per route, errors as
 * `UserError`s the CLI prints, and the event stream read as Server-Sent Events. `resolveDaemon`
 * finds the daemon from the flags, the environment, or the `daemon.json` it writes in its state
 * directory.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoggedEvent } from '../log/eventLog.js';
import { UserError, errorMessage, type ConfigIssue } from '../kernel/errors.js';
import type {
  AnswerResult,
  ApprovalDecision,
  ApprovalRecord,
  MissionStatus,
  MissionSummary,
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

export class DaemonClient {
  readonly url: string;
  private readonly token: string | undefined;

  constructor({ url, token }: { url: string; token?: string }) {
    if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol))
      throw new UserError(`invalid daemon url '${url}': expected http://HOST:PORT/`);
    this.url = url.endsWith('/') ? url : `${url}/`;
    this.token = token;
  }

  submit(request: SubmitRequest): Promise<MissionSummary> {
    return this.json('POST', 'api/missions', request);
  }

  async list(): Promise<MissionSummary[]> {
    return (await this.json<{ missions: MissionSummary[] }>('GET', 'api/missions')).missions;
  }

  status(id: string): Promise<MissionStatus> {
    return this.json('GET', `api/missions/${encodeURIComponent(id)}`);
  }

  stop(id: string, reason?: string): Promise<MissionSummary> {
    return this.json(
      'POST',
      `api/missions/${encodeURIComponent(id)}/stop`,
      reason === undefined ? {} : { reason },
    );
  }

  async approvals(): Promise<ApprovalRecord[]> {
    return (await this.json<{ approvals: ApprovalRecord[] }>('GET', 'api/approvals')).approvals;
  }

  answer(
    id: string,
    answer: { decision: ApprovalDecision; feedback?: string },
  ): Promise<AnswerResult> {
    return this.json('POST', `api/approvals/${encodeURIComponent(id)}`, answer);
  }

  /** Calls `onEvent` with each event after `after`, live, until the mission's end. */
  async events(
    id: string,
    after: number,
    onEvent: (e: LoggedEvent) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    const res = await this.fetch(
      'GET',
      `api/missions/${encodeURIComponent(id)}/events?after=${after}`,
      undefined,
      signal,
    );
    if (!res.body)
      throw new DaemonRequestError(
        res.status,
        `the daemon sent no event stream for mission '${id}'`,
      );
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    let last = after;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const { event, data } = sseFields(block);
        if (event === 'end') {
          await reader.cancel();
          return;
        }
        if (data === undefined) continue;
        const e = JSON.parse(data) as LoggedEvent;
        last = e.seq;
        onEvent(e);
      }
    }
    throw new UserError(
      `the daemon closed the event stream of mission '${id}' before its end (the last event was ${last})`,
    );
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
  ): Promise<Response> {
    const headers: Record<string, string> = {};
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
