/**
 * The key a daemon signs its mirrored events with (transport/eventSignature.ts):
 * `<stateDir>/event-key`, 32 random bytes in base64url, created mode 0600 on the first start and
 * read on every later one. It lives beside the logs because it vouches for them: a daemon that
 * gets a new disk restores from JetStream only once the old key is copied back. Its text is
 * registered as a secret, so no log, event log or inspector ever shows it.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../kernel/errors.js';
import { registerSecret } from '../kernel/secrets.js';
import { MIN_KEY_BYTES } from '../transport/eventSignature.js';

export const EVENT_KEY_FILE = 'event-key';

export class EventKeyError extends UserError {
  override name = 'EventKeyError';
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`event key '${file}': ${problem}`);
  }
}

export interface EventKey {
  readonly key: Buffer;
  readonly file: string;
  /** Made by this call (the state dir had none). */
  readonly created: boolean;
}

/** The state dir's event key, made if it has none. */
export function loadEventKey(stateDir: string): EventKey {
  const file = join(stateDir, EVENT_KEY_FILE);
  const text = randomBytes(MIN_KEY_BYTES).toString('base64url');
  try {
    // Exclusive: of two processes racing on a new dir, one key wins and both read it.
    writeFileSync(file, `${text}\n`, { mode: 0o600, flag: 'wx' });
    registerSecret(text);
    return { key: Buffer.from(text, 'base64url'), file, created: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
      throw new EventKeyError(file, `cannot create it: ${(err as Error).message}`);
  }
  return { key: readKey(file), file, created: false };
}

function readKey(file: string): Buffer {
  const mode = statSync(file).mode & 0o777;
  // As ssh does with a private key: one that others can read may already be theirs.
  if (mode & 0o077)
    throw new EventKeyError(file, `readable by others (mode 0${mode.toString(8)}): chmod 600 it`);
  const text = readFileSync(file, 'utf8').trim();
  registerSecret(text);
  const key = Buffer.from(text, 'base64url');
  if (!/^[A-Za-z0-9_-]+$/.test(text) || key.length < MIN_KEY_BYTES) {
    throw new EventKeyError(
      file,
      `expected at least ${MIN_KEY_BYTES} bytes in base64url, got ${key.length} byte(s)`,
    );
  }
  return key;
}
