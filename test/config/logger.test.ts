import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../config/logger.js';
import { registerSecret } from '../../config/secrets.js';

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
    log.info({ supervisor: 's', apiKey: 'whatever-key', headers: { authorization: 'Bearer x' } }, 'decision');
    log.warn({ reason: `401 Unauthorized for ${secret}` }, 'provider failed');
    const records = lines.map((l) => JSON.parse(l));
    expect(records[0]).toMatchObject({ supervisor: 's', apiKey: '[REDACTED]', headers: { authorization: '[REDACTED]' }, msg: 'decision' });
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
});
