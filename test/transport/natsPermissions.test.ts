import { statSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import {
  authorizationBlock,
  authorizedUsers,
  clientPermissions,
  workerPermissions,
} from '../../transport/natsPermissions.js';
import { tempDir } from '../helpers/missions.js';

describe('NATS permissions for the roles', () => {
  it('should let a worker take calls only for its capabilities and write only its own registry key', () => {
    const p = workerPermissions({ user: 'w1', id: 'gpu-1', capabilities: ['sim'] });
    expect(p.subscribe.allow).toEqual(['_INBOX_w1.>', 'maestro.agent.call.sim']);
    expect(p.publish.allow).toContain('$KV.MAESTRO_WORKERS.gpu-1');
    expect(p.publish.allow).not.toContain('$KV.MAESTRO_WORKERS.>');
    expect(p.publish.allow).toContain('$JS.API.CONSUMER.MSG.NEXT.MAESTRO_WORK.maestro-sim');
    expect(p.publish.deny).toEqual([
      'maestro.events.>',
      'maestro.daemon.>',
      '$JS.EVENT.>',
      '$SYS.>',
    ]);
    expect(p.allow_responses).toBe(true);
    expect(clientPermissions({ user: 'c' })).toEqual({
      publish: { allow: ['maestro.daemon.>'] },
      subscribe: { allow: ['_INBOX_c.>'] },
    });
  });

  it('should refuse a user name that is not a subject token, a name given twice, and a worker with no capability', () => {
    expect(() => authorizedUsers({ daemon: { user: 'a b' }, workers: [], clients: [] })).toThrow(
      "user 'a b': expected letters, digits, _ or - (at most 64)",
    );
    expect(() =>
      authorizedUsers({ daemon: { user: 'x' }, workers: [], clients: [{ user: 'x' }] }),
    ).toThrow("user 'x' is named twice");
    expect(() =>
      authorizedUsers({
        daemon: { user: 'd' },
        workers: [{ user: 'w', id: 'w', capabilities: [] }],
        clients: [],
      }),
    ).toThrow("worker 'w': expected at least one capability");
  });

  it('should write the block nats-server reads, with the given or made passwords', () => {
    const users = authorizedUsers(
      { daemon: { user: 'd', password: 'p-d' }, workers: [], clients: [{ user: 'c' }] },
      () => 'made',
    );
    expect(authorizationBlock(users)).toBe(`authorization {
  users = [
    # daemon
    { user: "d", password: "p-d", permissions: { publish: { allow: [">"] }, subscribe: { allow: [">"] } } }
    # client
    { user: "c", password: "made", permissions: { publish: { allow: ["maestro.daemon.>"] }, subscribe: { allow: ["_INBOX_c.>"] } } }
  ]
}
`);
  });

  it('maestro nats-config should print the block, or write it 0600 with --out, and say what is wrong', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t) };
    expect(
      await main(
        ['nats-config', '--daemon', 'd', '--worker', 'w1:gpu-1:sim,editing', '--client', 'c'],
        io,
      ),
    ).toBe(0);
    expect(out.join('\n')).toContain(
      '#   worker w1: --nats-user w1 --nats-inbox-prefix _INBOX_w1 (password in MAESTRO_NATS_PASSWORD) --id gpu-1',
    );
    expect(out.join('\n')).toContain('"maestro.agent.call.editing"');
    const file = join(tempDir(), 'auth.conf');
    expect(await main(['nats-config', '--daemon', 'd', '--out', file], io)).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toContain('authorization {');
    expect(await main(['nats-config', '--worker', 'w1:sim'], io)).toBe(2);
    expect(err.join('\n')).toContain('maestro nats-config: --daemon USER is required');
    expect(await main(['nats-config', '--daemon', 'd', '--worker', 'nocaps'], io)).toBe(2);
    expect(err.join('\n')).toContain(
      "--worker: expected USER:CAP[,CAP...] or USER:ID:CAP[,CAP...], got 'nocaps'",
    );
  });
});
