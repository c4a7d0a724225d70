/**
 * Answers one message from an inspector client: the reads (`snapshot`, `resync` from a seq) to
 * anyone, the writes (approve, reject, stop) only with the token, presented in the message or on
 * the connection, and only when the server takes writes. Every answer, errors included, goes to
 * the client through `send`.
 */
import { tokenMatches } from '../kernel/secrets.js';
import { z } from 'zod';
import type { ClientMessage, InspectorDelta, InspectorSnapshot } from './types.js';

/** The server's side of the answer: its hub's reads, its write settings, its log. */
export interface AnswerContext {
  hub: {
    snapshot(): InspectorSnapshot;
    since(seq: number): InspectorDelta[] | undefined;
  };
  token?: string;
  onWrite?: (msg: ClientMessage) => Promise<void> | void;
  log: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void };
}

/** The client's side: the token it connected with, whether that lets it write, its socket. */
export interface AnswerClient {
  connToken: string | undefined;
  writable: boolean;
  send(data: string): void;
}

const clientMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('resync'), from: z.number().int().min(0) }),
  z.object({ type: z.literal('snapshot') }),
  z.object({ type: z.literal('approve'), id: z.string().min(1), token: z.string().optional() }),
  z.object({
    type: z.literal('reject'),
    id: z.string().min(1),
    feedback: z.string().optional(),
    token: z.string().optional(),
  }),
  z.object({ type: z.literal('stop'), path: z.string().min(1), token: z.string().optional() }),
]);

export async function answerClient(
  raw: string,
  client: AnswerClient,
  server: AnswerContext,
): Promise<void> {
  const { send, writable } = client;
  let msg: ClientMessage;
  try {
    const parsed = clientMessageSchema.safeParse(JSON.parse(raw));
    if (!parsed.success) throw new Error(parsed.error.issues[0]?.message ?? 'invalid');
    msg = parsed.data;
  } catch (err) {
    return send(
      JSON.stringify({ type: 'error', message: `bad message: ${(err as Error).message}` }),
    );
  }
  try {
    if (msg.type === 'snapshot')
      return send(JSON.stringify({ ...server.hub.snapshot(), writable }));
    if (msg.type === 'resync') {
      const deltas = server.hub.since(msg.from);
      if (deltas === undefined) return send(JSON.stringify({ ...server.hub.snapshot(), writable }));
      for (const d of deltas) send(JSON.stringify(d));
      return;
    }
    const presented = msg.token ?? client.connToken;
    if (presented === undefined)
      return send(JSON.stringify({ type: 'error', message: 'write refused: a token is required' }));
    if (server.token === undefined || !tokenMatches(presented, server.token)) {
      server.log.warn({ action: msg.type }, 'inspector: write refused: invalid token');
      return send(JSON.stringify({ type: 'error', message: 'write refused: invalid token' }));
    }
    if (!server.onWrite)
      return send(
        JSON.stringify({
          type: 'error',
          message: 'write refused: this inspector takes no writes',
        }),
      );
    const { token: _token, ...request } = msg;
    await server.onWrite(request);
    const { type, ...fields } = request;
    server.log.info({ action: type, ...fields }, 'inspector: write');
    send(JSON.stringify({ type: 'ack', action: type, ...fields }));
  } catch (err) {
    server.log.warn({ err, type: msg.type }, 'inspector: client request failed');
    send(
      JSON.stringify({ type: 'error', message: `${msg.type} failed: ${(err as Error).message}` }),
    );
  }
}
