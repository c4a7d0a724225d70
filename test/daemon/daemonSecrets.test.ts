/**
 * Secrets and the real daemon: a key never reaches a mission's log, an API answer or the daemon's
 * own log. A file of its own: the registry of secrets is per process, and vitest gives each file
 * one, so what these tests register cannot mask what another file's tests look for.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { EventLog } from '../../log/eventLog.js';
import { createLogger } from '../../kernel/logger.js';
import {
  call,
  daemonsPerTest,
  readStream,
  submit,
  until,
  type ServedDaemon,
} from '../helpers/daemonServer.js';

const serve = daemonsPerTest();

describe('daemon (the real Daemon over HTTP): secrets', () => {
  const key = 'sk-test-daemon-secret-0123456789';
  let upstream: Server | undefined;
  afterEach(() => {
    upstream?.closeAllConnections();
    upstream?.close();
  });

  /** An OpenAI-compatible endpoint that refuses every call, quoting the key it was sent. */
  async function echoingUpstream(seen: string[]): Promise<string> {
    upstream = createServer((req, res) => {
      const auth = req.headers.authorization ?? '';
      seen.push(auth);
      req.resume();
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: { message: `invalid api key: '${auth}'`, type: 'invalid_request_error' },
        }),
      );
    });
    await new Promise<void>((r) => upstream!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`;
  }

  /** Every response the API gives about the mission, as text. */
  async function everything(d: ServedDaemon, id: string): Promise<string> {
    const replies = await Promise.all([
      call(d, 'GET', '/api/missions'),
      call(d, 'GET', `/api/missions/${id}`),
      call(d, 'GET', '/api/approvals'),
      call(d, 'POST', `/api/missions/${id}/stop`),
    ]);
    return (
      JSON.stringify(replies.map((r) => r.json)) +
      (await readStream(d, `/api/missions/${id}/events`)).text
    );
  }

  function capturedLogger(lines: string[]) {
    return createLogger({
      level: 'debug',
      pretty: false,
      destination: new Writable({
        write: (chunk, _enc, done) => done(void lines.push(String(chunk))),
      }),
    });
  }

  it("should keep an openai provider's key out of the mission's log, the API and the daemon's own log", async () => {
    const seen: string[] = [];
    const baseURL = await echoingUpstream(seen);
    const logs: string[] = [];
    const d = await serve({
      env: { MAESTRO_TEST_OPENAI_KEY: key },
      logger: capturedLogger(logs),
      submitPolicy: { cli: [], paths: [], env: ['MAESTRO_TEST_OPENAI_KEY'] },
    });
    const source = `name: secret
providers:
  gpt: { kind: openai, baseURL: '${baseURL}', apiKeyEnv: MAESTRO_TEST_OPENAI_KEY, model: gpt-test, maxRetries: 0, timeoutMs: 2000 }
agents: [{ id: asker, provider: gpt }]
stages: [{ name: ask, prompt: go, agents: [asker] }]
`;
    const id = await submit(d, source, { id: 'sec1' });
    const status = await until(d, id, 'failed');
    expect(seen[0]).toBe(`Bearer ${key}`);
    // The server's words come through, the key it quoted masked.
    expect(status.error.message).toContain(
      "provider 'gpt': http 401: invalid api key: 'Bearer [redacted]'",
    );
    const file = readFileSync(EventLog.pathFor(d.stateDir, id), 'utf8');
    expect(file).toContain('invalid api key');
    expect(file).not.toContain(key);
    expect(await everything(d, id)).not.toContain(key);
    expect(logs.join('')).not.toContain(key);
  });

  // Bug: a submitted mission interpolates `${VAR}` from the daemon's environment, and nothing masks
  // a variable no openai provider names: the value lands in the log, the status and the stream.
  it("should keep a secret of the daemon's environment out of the log and the API when a mission interpolates it", async () => {
    const password = 'hunter2-daemon-db-password';
    const d = await serve({
      env: { MAESTRO_TEST_DB_PASSWORD: password },
      submitPolicy: { cli: [], paths: [], env: ['MAESTRO_TEST_DB_PASSWORD'] },
    });
    const source = `name: nosy
providers:
  p: { kind: scripted, responses: ['\${MAESTRO_TEST_DB_PASSWORD}'] }
agents: [{ id: a, provider: p }]
stages: [{ name: s, prompt: go, agents: [a] }]
`;
    const id = await submit(d, source, { id: 'nosy1' });
    await until(d, id, 'succeeded');
    expect(readFileSync(EventLog.pathFor(d.stateDir, id), 'utf8')).not.toContain(password);
    expect(await everything(d, id)).not.toContain(password);
  });
});
