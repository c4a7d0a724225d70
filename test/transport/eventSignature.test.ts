import { describe, expect, it } from 'vitest';
import { EventSignatureKeyError, EventSigner } from '../../transport/eventSignature.js';

const key = Buffer.alloc(32, 1);
const body = '{"seq":1,"ts":"2026-01-01T00:00:00.000Z","mission":"m","type":"mission.submitted"}';

describe('event signatures (EventSigner)', () => {
  it('should accept its own signature of the exact bytes, as a string or as bytes', () => {
    const signer = new EventSigner(key);
    const header = signer.sign(body);
    expect(header).toMatch(/^v1\.[0-9a-f]{8}\.[A-Za-z0-9_-]{43}$/);
    expect(header.split('.')[1]).toBe(signer.keyId);
    expect(signer.verify(body, header)).toEqual({ ok: true });
    expect(signer.verify(Buffer.from(body), header)).toEqual({ ok: true });
    expect(signer.sign(Buffer.from(body))).toBe(header);
  });

  it('should refuse an unsigned record, and one whose bytes changed by one character', () => {
    const signer = new EventSigner(key);
    const header = signer.sign(body);
    expect(signer.verify(body, undefined)).toEqual({
      ok: false,
      reason: 'unsigned (no Maestro-Sig header)',
    });
    expect(signer.verify(body, '')).toEqual({
      ok: false,
      reason: 'unsigned (no Maestro-Sig header)',
    });
    expect(signer.verify(body.replace('"seq":1', '"seq":2'), header)).toEqual({
      ok: false,
      reason: 'signature does not match the record',
    });
    // Same JSON value, other bytes: the MAC is over bytes, not over a re-serialization.
    expect(signer.verify(body.replace(',"type"', ', "type"'), header)).toEqual({
      ok: false,
      reason: 'signature does not match the record',
    });
  });

  it('should refuse a record signed with another key, naming both key ids', () => {
    const mine = new EventSigner(key);
    const theirs = new EventSigner(Buffer.alloc(32, 2));
    expect(mine.keyId).not.toBe(theirs.keyId);
    expect(mine.verify(body, theirs.sign(body))).toEqual({
      ok: false,
      reason: `signed with another key (id '${theirs.keyId}', this daemon's is '${mine.keyId}')`,
    });
  });

  it('should refuse a forged header that copies the key id, and malformed headers', () => {
    const signer = new EventSigner(key);
    const forged = `v1.${signer.keyId}.${Buffer.alloc(32).toString('base64url')}`;
    expect(signer.verify(body, forged)).toEqual({
      ok: false,
      reason: 'signature does not match the record',
    });
    expect(signer.verify(body, `v1.${signer.keyId}.AAAA`)).toEqual({
      ok: false,
      reason: 'signature does not match the record',
    });
    expect(signer.verify(body, 'v2.x.y')).toEqual({
      ok: false,
      reason: "malformed Maestro-Sig header 'v2.x.y'",
    });
    expect(signer.verify(body, 'garbage')).toEqual({
      ok: false,
      reason: "malformed Maestro-Sig header 'garbage'",
    });
    expect(signer.verify(body, `${signer.sign(body)}.extra`)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^malformed Maestro-Sig header 'v1\./),
    });
  });

  it('should refuse a key shorter than 32 bytes', () => {
    expect(() => new EventSigner(Buffer.alloc(16))).toThrow(EventSignatureKeyError);
    expect(() => new EventSigner(Buffer.alloc(16))).toThrow(
      'event key: expected at least 32 bytes, got 16',
    );
  });
});
