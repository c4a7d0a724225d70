import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EventKeyError, loadEventKey } from '../../log/eventKey.js';
import { redactText } from '../../kernel/secrets.js';

describe('the event key in the state directory (loadEventKey)', () => {
  const dirs: string[] = [];
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), 'maestro-event-key-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('should create a 32-byte key with mode 0600 on the first start, read the same one later, and mask it', () => {
    const d = dir();
    const first = loadEventKey(d);
    expect(first).toMatchObject({ file: join(d, 'event-key'), created: true });
    expect(first.key.length).toBe(32);
    expect(statSync(first.file).mode & 0o777).toBe(0o600);
    const again = loadEventKey(d);
    expect(again.created).toBe(false);
    expect(again.key.equals(first.key)).toBe(true);
    const text = readFileSync(first.file, 'utf8').trim();
    expect(redactText(`key is ${text}`)).toBe('key is [REDACTED]');
  });

  it('should refuse a key file that others can read, saying how to fix it', () => {
    const d = dir();
    const { file } = loadEventKey(d);
    chmodSync(file, 0o644);
    expect(() => loadEventKey(d)).toThrow(EventKeyError);
    expect(() => loadEventKey(d)).toThrow(
      `event key '${file}': readable by others (mode 0644): chmod 600 it`,
    );
  });

  it('should refuse a key file too short or not base64url', () => {
    const d = dir();
    const file = join(d, 'event-key');
    writeFileSync(file, 'c2hvcnQ\n', { mode: 0o600 });
    expect(() => loadEventKey(d)).toThrow(
      `event key '${file}': expected at least 32 bytes in base64url, got 5 byte(s)`,
    );
    writeFileSync(file, `${'a'.repeat(60)}!!\n`, { mode: 0o600 });
    expect(() => loadEventKey(d)).toThrow(
      /^event key '.*': expected at least 32 bytes in base64url, got \d+ byte\(s\)$/,
    );
  });

  it('should say which directory it could not create the key in', () => {
    const missing = join(dir(), 'no', 'such');
    expect(() => loadEventKey(missing)).toThrow(
      `event key '${join(missing, 'event-key')}': cannot create it: ENOENT: no such file or directory, open '${join(missing, 'event-key')}'`,
    );
  });
});
