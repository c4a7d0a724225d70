/**
 * The daemon's API token, kept across restarts: `<state-dir>/daemon-token` (mode 0600), made on
 * the first start, read at every later one, replaced by `--rotate-token`. A client that held the
 * token before a restart is not refused after it. `--token` or MAESTRO_TOKEN still wins (and is
 * not written: it is the operator's to keep). daemon.json, which names the running daemon, gives
 * clients the token while it runs.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const TOKEN_FILE = 'daemon-token';

/** A token as the daemon makes them: 32 url-safe characters or more. */
const WELL_FORMED = /^[A-Za-z0-9_-]{32,}$/;

export interface KeptToken {
  token: string;
  /** `kept`: read from the state dir; `new`: none there (or `rotate`); `replaced`: the file was not a token. */
  how: 'kept' | 'new' | 'replaced';
}

export function keptToken(stateDir: string, options: { rotate?: boolean } = {}): KeptToken {
  const file = join(stateDir, TOKEN_FILE);
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (!options.rotate && text !== undefined && WELL_FORMED.test(text))
    return { token: text, how: 'kept' };
  const token = randomBytes(24).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600); // an existing file keeps its mode through writeFileSync
  return { token, how: text === undefined || options.rotate ? 'new' : 'replaced' };
}
