/**
 * The daemon's API over NATS request/reply, for clients that reach the daemon through NATS
 * rather than HTTP: the same verbs, on `maestro.daemon.<verb>`, each request a versioned JSON
 * object checked by zod, each reply `{v, ok: true, result}` or `{v, ok: false, status, error}`
 * with the HTTP status the same failure gets over HTTP. Every verb needs the daemon's token in
 * the request, reads too (status and events carry outputs, configs and prompts, and a NATS
 * server is shared more widely than a loopback port), unless the operator opened reads
 * (`openReads`, `--nats-open-reads`). Events come in pages (`events` with `after` and `limit`),
 * not as a stream.
 */
import { z } from 'zod';
import { ConfigError } from '../kernel/errors.js';
import { tokenMatches } from '../kernel/secrets.js';
import { statusOf, type DaemonApi } from './daemonApi.js';
import { describeParseError, PROTOCOL_VERSION } from '../transport/protocol.js';
import type { Json, Message, Subscription, Transport } from '../transport/transport.js';

export const DAEMON_SUBJECT_PREFIX = 'maestro.daemon';

const base = { v: z.literal(PROTOCOL_VERSION), token: z.string().optional() };
const requestSchemas = {
  submit: z.strictObject({
    ...base,
    source: z.string().optional(),
    path: z.string().optional(),
    filename: z.string().optional(),
    input: z.string().optional(),
    id: z.string().optional(),
  }),
  list: z.strictObject(base),
  status: z.strictObject({ ...base, id: z.string() }),
  events: z.strictObject({
    ...base,
    id: z.string(),
    after: z.int().nonnegative().default(0),
    limit: z.int().positive().max(10_000).default(1000),
  }),
  stop: z.strictObject({ ...base, id: z.string(), reason: z.string().optional() }),
  approvals: z.strictObject(base),
  answer: z.strictObject({
    ...base,
    id: z.string(),
    decision: z.enum(['approve', 'reject']),
    feedback: z.string().optional(),
  }),
};
type Verb = keyof typeof requestSchemas;
const WRITES: ReadonlySet<Verb> = new Set(['submit', 'stop', 'answer']);

export interface DaemonNatsOptions {
  token: string;
  /** Reads (list, status, events, approvals) answer without the token. @default false */
  openReads?: boolean;
  logger?: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void };
}

/** Serves every verb on `maestro.daemon.<verb>`; returns the subscriptions. */
export function serveDaemonOverNats(
  api: DaemonApi,
  transport: Transport,
  options: DaemonNatsOptions,
): Subscription[] {
  return (Object.keys(requestSchemas) as Verb[]).map((verb) =>
    transport.subscribe(
      `${DAEMON_SUBJECT_PREFIX}.${verb}`,
      async (msg) => {
        if (!msg.reply) return; // a request/reply API: a plain publish gets nothing
        transport.respond(msg, await handle(api, verb, msg, options));
      },
      { malformed: (reason) => fail(400, `malformed request: ${reason}`) },
    ),
  );
}

async function handle(
  api: DaemonApi,
  verb: Verb,
  msg: Message,
  o: DaemonNatsOptions,
): Promise<Json> {
  const parsed = requestSchemas[verb].safeParse(msg.data);
  if (!parsed.success) {
    o.logger?.warn(
      { subject: msg.subject, issue: describeParseError(parsed.error) },
      'daemon nats: malformed request',
    );
    return fail(400, `malformed request: ${describeParseError(parsed.error)}`);
  }
  const req = parsed.data as z.output<(typeof requestSchemas)['answer']> & Record<string, unknown>;
  if (WRITES.has(verb) || !o.openReads) {
    if (req.token === undefined) return fail(401, 'missing token');
    if (!tokenMatches(req.token, o.token)) return fail(401, 'wrong token');
  }
  try {
    const result = await run(api, verb, req);
    if (WRITES.has(verb)) o.logger?.info({ verb, id: req.id }, 'daemon nats: write');
    return {
      v: PROTOCOL_VERSION,
      ok: true,
      result: JSON.parse(JSON.stringify(result ?? null)) as Json,
    };
  } catch (err) {
    const status = statusOf(err);
    if (status === 500) {
      o.logger?.warn({ err, verb }, 'daemon nats: request failed');
      return fail(500, 'internal error');
    }
    const issues = err instanceof ConfigError ? err.issues.map((i) => ({ ...i })) : undefined;
    return { ...fail(status, (err as Error).message), ...(issues && { issues }) };
  }
}

async function run(api: DaemonApi, verb: Verb, r: Record<string, unknown>): Promise<unknown> {
  const id = r.id as string;
  switch (verb) {
    case 'submit': {
      const { v: _v, token: _t, ...submit } = r;
      return api.submit(submit);
    }
    case 'list':
      return { missions: api.list() };
    case 'status':
      return api.status(id);
    case 'events': {
      const events: unknown[] = [];
      const limit = r.limit as number;
      const stop = api.events(
        id,
        r.after as number,
        (e) => void (events.length < limit && events.push(e)),
      );
      stop();
      return { events, more: events.length === limit };
    }
    case 'stop':
      return api.stop(id, r.reason as string | undefined);
    case 'approvals':
      return { approvals: api.approvals() };
    case 'answer':
      return api.answer(id, {
        decision: r.decision as 'approve' | 'reject',
        feedback: r.feedback as string | undefined,
        by: 'nats',
      });
  }
}

function fail(
  status: number,
  error: string,
): { v: number; ok: false; status: number; error: string } {
  return { v: PROTOCOL_VERSION, ok: false, status, error };
}
