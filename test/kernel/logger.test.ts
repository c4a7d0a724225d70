import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../kernel/logger.js';
import { registerSecret } from '../../kernel/secrets.js';

describe('logger', () => {
  it('should write JSON records and never a secret, by field name or by value', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const secret = 'sk-live-abcdefghijklmnop';
    registerSecret(secret);
    const log = createLogger({ pretty: false, level: 'info', destination });
    log.info(
      { supervisor: 's', apiKey: 'whatever-key', headers: { authorization: 'Bearer x' } },
      'decision',
    );
    log.warn({ reason: `401 Unauthorized for ${secret}` }, 'provider failed');
    const records = lines.map((l) => JSON.parse(l));
    expect(records[0]).toMatchObject({
      supervisor: 's',
      apiKey: '[REDACTED]',
      headers: { authorization: '[REDACTED]' },
      msg: 'decision',
    });
    expect(records[1].reason).toBe('401 Unauthorized for [REDACTED]');
    expect(lines.join('')).not.toContain(secret);
  });

  it('should mask a secret in the message and inside an Error', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const secret = 'sk-live-qrstuvwxyz012345';
    registerSecret(secret);
    const log = createLogger({ pretty: false, level: 'info', destination });
    log.error({ err: new Error(`bad key ${secret}`) }, `call failed with ${secret}`);
    const record = JSON.parse(lines[0]!);
    expect(record.msg).toBe('call failed with [REDACTED]');
    expect(record.err.message).toBe('bad key [REDACTED]');
    expect(lines[0]).not.toContain(secret);
  });

  it('should write a line in words per record when pretty, secrets masked there too, and leave out what keep refuses', () => {
    const lines: string[] = [];
    const destination = { write: (chunk: string) => void lines.push(chunk) };
    const secret = 'sk-live-pretty-0123456789';
    registerSecret(secret);
    const log = createLogger({
      pretty: true,
      level: 'info',
      destination,
      keep: (r) => r.msg !== 'noise',
    });
    log.warn(
      { worker: 'w1', silentForMs: 6000, apiKey: 'k', err: new Error(`bad key ${secret}`) },
      'worker lost',
    );
    log.info('noise');
    log.info({ mission: 'm1' }, 'resumed');
    log.debug('below the level');
    expect(lines).toEqual([
      'warn worker lost (worker w1, silentForMs 6000, apiKey [REDACTED], err bad key [REDACTED])\n',
      'resumed (mission m1)\n',
    ]);
  });

  it("should give each record to the caller's line, and keep JSON lines when not pretty, filtered by keep", () => {
    const lines: string[] = [];
    const destination = { write: (chunk: string) => void lines.push(chunk) };
    const pretty = createLogger({
      pretty: true,
      destination,
      line: (r) => (r.level >= 40 ? `! ${r.msg}` : undefined),
    });
    pretty.info('quiet');
    pretty.error('loud');
    expect(lines).toEqual(['! loud\n']);
    lines.length = 0;
    const json = createLogger({
      pretty: false,
      destination,
      keep: (r) => r.msg !== 'supervisor decision',
    });
    json.warn({ supervisor: 's' }, 'supervisor decision');
    json.warn({ worker: 'w1' }, 'worker lost');
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ level: 40, worker: 'w1', msg: 'worker lost' }),
    ]);
  });
});
