/**
 * The daemon's HTTP API under `/api/`, served beside the inspector on the same server: maps each
 * request onto a `DaemonApi` call and its errors onto status codes. Writes need the bearer token;
 * reads are open unless `authReads` (the server binds 127.0.0.1 by default, and its host check
 * refuses DNS-rebound names). A mission's events stream as Server-Sent Events (`daemonSse.ts`),
 * resumable with `Last-Event-ID`; bodies and JSON replies are `httpBody.ts`'s.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { ConfigError } from '../kernel/errors.js';
import { statusOf, type DaemonApi, type SubmitRequest } from './daemonApi.js';
import { tokenMatches } from '../kernel/secrets.js';
import { streamEvents } from './daemonSse.js';
import { HttpError, readBody, readJson, sendJson } from './httpBody.js';

export { HttpError } from './httpBody.js';

export interface ApiHandlerOptions {
  /** Needed by every write, and by every read with `authReads`, as `authorization: Bearer <token>`. */
  token: string;
  /** @default false: reads are open */
  authReads?: boolean;
  /** A larger request body is refused with 413. @default 1 MiB */
  maxBodyBytes?: number;
  /** pino-like; the token and the authorization header are never logged. */
  logger?: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void };
  /** A `: keepalive` comment this often on an event stream, so idle proxies keep it. @default 15000 */
  sseHeartbeatMs?: number;
  /** Served as Prometheus text at `GET /metrics`, under the read rule. @default none: 404 */
  metrics?: { text(): Promise<string>; contentType: string };
}

export type ApiHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

interface Call {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  id: string;
}
/** What a route answers; undefined when it wrote the response itself (the event stream). */
type Reply = { status: number; body: unknown } | undefined;
type Route = Partial<Record<'GET' | 'POST', (call: Call) => Promise<Reply> | Reply>>;

const submitSchema = z
  .strictObject({
    source: z.string().optional(),
    path: z.string().min(1).optional(),
    filename: z.string().min(1).optional(),
    input: z.string().optional(),
    id: z.string().min(1).max(128, 'expected at most 128 characters').optional(),
  })
  .refine((b) => (b.source === undefined) !== (b.path === undefined), {
    error: 'expected exactly one of source or path',
  });
const stopSchema = z.strictObject({ reason: z.string().optional() });
const pruneSchema = z.strictObject({
  retain: z.string().min(1).optional(),
  dryRun: z.boolean().optional(),
});
const answerSchema = z.strictObject({
  decision: z.enum(['approve', 'reject'], { error: "expected 'approve' or 'reject'" }),
  feedback: z.string().optional(),
});
const rawMissionTypes = new Set([
  'application/yaml',
  'text/yaml',
  'application/x-yaml',
  'text/plain',
]);
const noop = (): void => {};

export function createApiHandler(api: DaemonApi, options: ApiHandlerOptions): ApiHandler {
  const log = options.logger ?? { info: noop, warn: noop };
  const maxBody = options.maxBodyBytes ?? 1024 * 1024;
  const heartbeatMs = options.sseHeartbeatMs ?? 15_000;

  const routes: [RegExp, Route][] = [
    // `?gc=1` (with the token, in a daemon run with --expose-gc) measures after a full GC.
    [
      /^\/api\/health$/,
      {
        GET: ({ req, url }) => {
          const gc = (globalThis as { gc?: () => void }).gc;
          if (url.searchParams.get('gc') === '1') {
            authorize(req);
            if (!gc) throw new HttpError(400, 'gc=1: this daemon was not started with --expose-gc');
            gc();
          }
          return { status: 200, body: api.health() };
        },
      },
    ],
    [
      /^\/api\/missions$/,
      {
        // Once every mission is known: a list is never a partial one (a start reads its index
        // behind the API).
        GET: async () => {
          await api.loaded?.();
          return { status: 200, body: { missions: api.list() } };
        },
        POST: async ({ req, url }) => ({
          status: 201,
          body: await api.submit(await submitRequest(req, url, maxBody)),
        }),
      },
    ],
    [/^\/api\/missions\/([^/]+)$/, { GET: ({ id }) => ({ status: 200, body: api.status(id) }) }],
    [
      /^\/api\/missions\/([^/]+)\/events$/,
      { GET: (call) => void streamEvents(api, call, { heartbeatMs, logger: log }) },
    ],
    [
      /^\/api\/missions\/([^/]+)\/stop$/,
      {
        POST: async ({ req, id }) => ({
          status: 202,
          body: await api.stop(id, parse(stopSchema, await readJson(req, maxBody)).reason),
        }),
      },
    ],
    [
      /^\/api\/history\/prune$/,
      {
        POST: async ({ req }) => ({
          status: 200,
          body: await api.prune(parse(pruneSchema, await readJson(req, maxBody))),
        }),
      },
    ],
    [
      /^\/api\/approvals$/,
      {
        // Once every mission is known, as the list: a gate of a mission not catalogued yet is missed.
        GET: async () => {
          await api.loaded?.();
          return { status: 200, body: { approvals: api.approvals() } };
        },
      },
    ],
    // An approval id holds `/` (`mission/stage/attempt`): it may come encoded or raw.
    [
      /^\/api\/approvals\/(.+)$/,
      {
        POST: async ({ req, id }) => ({
          status: 200,
          body: await api.answer(id, {
            ...parse(answerSchema, await readJson(req, maxBody)),
            by: 'api',
          }),
        }),
      },
    ],
  ];

  function route(method: string, pathname: string): [Route, string] {
    for (const [pattern, found] of routes) {
      const m = pattern.exec(pathname);
      if (!m) continue;
      try {
        return [found, m[1] === undefined ? '' : decodeURIComponent(m[1])];
      } catch {
        throw new HttpError(400, `malformed url path: ${pathname}`);
      }
    }
    throw new HttpError(404, `unknown route: ${method} ${pathname}`);
  }

  function authorize(req: IncomingMessage): void {
    const given = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
    const challenge = { 'www-authenticate': 'Bearer' };
    if (given === undefined)
      throw new HttpError(401, "missing token: send 'authorization: Bearer <token>'", challenge);
    if (!tokenMatches(given, options.token)) throw new HttpError(401, 'wrong token', challenge);
  }

  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const metrics = url.pathname === '/metrics' ? options.metrics : undefined;
    if (!metrics && url.pathname !== '/api' && !url.pathname.startsWith('/api/')) return false;
    const method = req.method ?? 'GET';
    try {
      if (metrics) {
        if (method !== 'GET')
          throw new HttpError(405, `method ${method} not allowed on /metrics (allowed: GET)`, {
            allow: 'GET',
          });
        if (options.authReads) authorize(req);
        const text = await metrics.text();
        res.writeHead(200, { 'content-type': metrics.contentType }).end(text);
        return true;
      }
      const [found, id] = route(method, url.pathname);
      const run = found[method as keyof Route];
      if (!run) {
        const allow = Object.keys(found).join(', ');
        throw new HttpError(
          405,
          `method ${method} not allowed on ${url.pathname} (allowed: ${allow})`,
          { allow },
        );
      }
      if (method !== 'GET' || options.authReads) authorize(req);
      const reply = await run({ req, res, url, id });
      if (reply) sendJson(res, reply.status, reply.body);
      if (method !== 'GET')
        log.info({ method, path: url.pathname, status: reply?.status }, 'daemon api: write');
    } catch (err) {
      const { status, body, headers } = errorReply(err);
      if (status === 401)
        log.warn({ method, path: url.pathname, reason: body.error }, 'daemon api: refused');
      if (status === 500)
        log.warn({ err, method, path: url.pathname }, 'daemon api: request failed');
      if (res.headersSent) res.destroy();
      else sendJson(res, status, body, headers);
    }
    return true;
  };
}

async function submitRequest(
  req: IncomingMessage,
  url: URL,
  maxBody: number,
): Promise<SubmitRequest> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === '' || type === 'application/json')
    return parse(submitSchema, await readJson(req, maxBody));
  if (!rawMissionTypes.has(type)) {
    throw new HttpError(
      415,
      `unsupported content-type '${type}': send application/json, or the mission file as application/yaml`,
    );
  }
  const request: SubmitRequest = { source: await readBody(req, maxBody) };
  for (const key of ['input', 'id', 'filename'] as const) {
    const value = url.searchParams.get(key);
    if (value !== null) request[key] = value;
  }
  return request;
}

/** The first problem, naming its field: `decision: expected 'approve' or 'reject'`. */
function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const where = issue.path.length ? issue.path.join('.') : 'request body';
  const what =
    issue.code === 'unrecognized_keys'
      ? `unknown field ${issue.keys.map((k) => `'${k}'`).join(', ')}`
      : issue.code === 'invalid_type'
        ? `expected ${issue.expected === 'object' ? 'a JSON object' : issue.expected}`
        : issue.message;
  throw new HttpError(400, `${where}: ${what}`);
}

function errorReply(err: unknown): {
  status: number;
  body: { error: string; [k: string]: unknown };
  headers?: Record<string, string>;
} {
  if (err instanceof HttpError)
    return { status: err.status, body: { error: err.message }, headers: err.headers };
  if (err instanceof ConfigError) {
    const issues = err.issues.map(({ path, message, line }) => ({ path, message, line }));
    return { status: 400, body: { error: err.message, file: err.file, issues } };
  }
  const status = statusOf(err);
  return { status, body: { error: status === 500 ? 'internal error' : (err as Error).message } };
}
