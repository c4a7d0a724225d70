import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MaestroClient } from '../../daemon/daemonClient.js';
import { keptToken, TOKEN_FILE } from '../../daemon/daemonToken.js';
import { startDaemon } from '../helpers/daemonProcess.js';
import { tempDir } from '../helpers/missions.js';

describe('the daemon token, kept across restarts', () => {
  it('should make a token once, keep it (mode 0600), and replace it when asked or when the file is not one', () => {
    const dir = tempDir();
    const first = keptToken(dir);
    expect(first.how).toBe('new');
    expect(first.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(statSync(join(dir, TOKEN_FILE)).mode & 0o777).toBe(0o600);
    expect(keptToken(dir)).toEqual({ token: first.token, how: 'kept' });
    const rotated = keptToken(dir, { rotate: true });
    expect(rotated.how).toBe('new');
    expect(rotated.token).not.toBe(first.token);
    expect(keptToken(dir).token).toBe(rotated.token);
    writeFileSync(join(dir, TOKEN_FILE), 'short\n', { mode: 0o644 });
    const replaced = keptToken(dir);
    expect(replaced.how).toBe('replaced');
    expect(statSync(join(dir, TOKEN_FILE)).mode & 0o777).toBe(0o600);
  });

  it('should serve with the same token after a restart, and a new one after --rotate-token', async () => {
    const stateDir = tempDir();
    const first = await startDaemon({ stateDir });
    expect((await first.client.list()).length).toBe(0);
    await first.kill('SIGTERM');
    const second = await startDaemon({ stateDir });
    expect(second.token).toBe(first.token);
    // A client that held the token before the restart is still let in.
    const held = new MaestroClient({ url: second.url, token: first.token });
    await expect(held.stop('nope')).rejects.toMatchObject({ status: 404 }); // let in: no such mission
    await second.kill('SIGTERM');
    const third = await startDaemon({ stateDir, args: ['--rotate-token'] });
    expect(third.token).not.toBe(first.token);
    const stale = new MaestroClient({ url: third.url, token: first.token });
    await expect(stale.stop('nope')).rejects.toMatchObject({ status: 401 });
  }, 60_000);
});
