/**
 * Submitted missions are data, not code: real `maestro daemon` processes, attacked as a holder
 * of the write token would attack them: a cli provider that runs a command, `${VAR}` that reads
 * the daemon's environment, an openai provider that sends a variable of it as its key.
 */
import { readdirSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventLog } from '../../log/eventLog.js';
import { eventually } from '../helpers/eventually.js';
import { tempDir } from '../helpers/missions.js';
import { startDaemon, type DaemonProcess } from '../helpers/daemonProcess.js';

const shell = `name: shell
providers:
  sh: { kind: cli, command: /bin/sh, args: ["-c", "id; hostname; ls /"] }
agents: [{ id: a, provider: sh }]
stages: [{ name: s, prompt: go, agents: [a] }]
`;
const echo = (prompt: string) => `name: echo
providers:
  say: { kind: cli, command: /bin/echo, args: ["{prompt}"], envAllowlist: [] }
agents: [{ id: a, provider: say }]
stages: [{ name: s, prompt: "${prompt}", agents: [a] }]
`;

async function post(
  d: DaemonProcess,
  source: string,
): Promise<{ status: number; body: Record<string, any> }> {
  const res = await fetch(new URL('/api/missions', d.url), {
    method: 'POST',
    headers: { authorization: `Bearer ${d.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ source, filename: 'm.yaml' }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

const logsIn = (stateDir: string) =>
  existsSync(join(stateDir, 'missions'))
    ? readdirSync(join(stateDir, 'missions')).filter((f) => f.endsWith('.jsonl'))
    : [];

async function finished(d: DaemonProcess, id: string): Promise<Record<string, any>> {
  let status: Record<string, any> = {};
  await eventually(async () => {
    status = (await d.client.status(id)) as unknown as Record<string, any>;
    expect(['succeeded', 'failed']).toContain(status.state);
  }, 15_000);
  return status;
}

describe('daemon: what a submitted mission may run and read', () => {
  it('should refuse a cli provider the operator did not allow (400, naming the provider and the setting), writing nothing', async () => {
    const stateDir = tempDir();
    const d = await startDaemon({ stateDir });
    const r = await post(d, shell);
    expect(r.status).toBe(400);
    expect(r.body.error).toBe(
      "m.yaml:3 providers.sh.command: provider 'sh': cli command '/bin/sh' is not allowed for submitted missions (allow it with --allow-cli or submissions.cli in the daemon config)",
    );
    expect(logsIn(stateDir)).toEqual([]);
  });

  it('should run an allowed command with exactly its allowed args, and refuse other args for it', async () => {
    const stateDir = tempDir();
    const d = await startDaemon({ stateDir, args: ['--allow-cli', '/bin/echo {prompt}'] });
    const r = await post(d, echo('hello from a submitted mission'));
    expect(r.status).toBe(201);
    const status = await finished(d, r.body.id as string);
    expect(status.state).toBe('succeeded');
    expect(status.result).toBe('hello from a submitted mission');
    const other = await post(
      d,
      echo('x').replace('args: ["{prompt}"]', 'args: ["-e", "{prompt}"]'),
    );
    expect(other.status).toBe(400);
    expect(other.body.error).toContain(
      `provider 'say': cli command '/bin/echo' with args ["-e","{prompt}"] (allowed: ["{prompt}"]) is not allowed for submitted missions`,
    );
  });

  it('should take the allowed commands from the daemon config file, with their environment', async () => {
    const stateDir = tempDir();
    const config = join(tempDir(), 'daemon.yaml');
    writeFileSync(
      config,
      'submissions:\n  cli:\n    - { command: /bin/echo, args: ["{prompt}"], env: [] }\n',
    );
    const d = await startDaemon({ stateDir, args: ['--config', config] });
    expect((await post(d, echo('from the file'))).status).toBe(201);
    const wide = await post(d, echo('x').replace('envAllowlist: []', 'envAllowlist: [HOME]'));
    expect(wide.status).toBe(400);
    expect(wide.body.error).toContain(
      "provider 'say': cli command '/bin/echo' may not see 'HOME' (the daemon gives it none;",
    );
  });

  it('should refuse ${HOME} in a submitted prompt (400), and mask an allowed secret variable in status, events and the log', async () => {
    const stateDir = tempDir();
    const secret = 'tok-daemon-0123456789abcdef';
    const d = await startDaemon({
      stateDir,
      args: ['--allow-cli', '/bin/echo {prompt}', '--allow-env', 'MAESTRO_TEST_API_TOKEN'],
      env: { MAESTRO_TEST_API_TOKEN: secret },
    });
    const home = await post(d, echo('where is ${HOME}'));
    expect(home.status).toBe(400);
    expect(home.body.error).toBe(
      "m.yaml:5 stages[0].prompt: environment variable 'HOME' is not allowed for submitted missions (the daemon allows 'MAESTRO_TEST_API_TOKEN'; add it with --allow-env HOME or submissions.env in the daemon config)",
    );
    const fallback = await post(d, echo('${DB_PASS:-none}'));
    expect(fallback.status).toBe(400);
    expect(fallback.body.error).toContain(
      "environment variable 'DB_PASS' is not allowed for submitted missions",
    );
    expect(logsIn(stateDir)).toEqual([]);

    const ok = await post(d, echo('the token is ${MAESTRO_TEST_API_TOKEN}'));
    expect(ok.status).toBe(201);
    const id = ok.body.id as string;
    const status = await finished(d, id);
    expect(status.result).toBe('the token is [REDACTED]');
    const events = await fetch(new URL(`/api/missions/${id}/events`, d.url), {
      headers: { authorization: `Bearer ${d.token}` },
    }).then((r) => r.text());
    expect(events).toContain('the token is [REDACTED]');
    expect(events).not.toContain(secret);
    expect(readFileSync(EventLog.pathFor(stateDir, id), 'utf8')).not.toContain(secret);
    expect(d.stderr()).not.toContain(secret);
  });

  it("should refuse an openai provider whose key variable is not allowed: a submitted mission cannot send the daemon's variables to a server of its choosing", async () => {
    const d = await startDaemon({
      stateDir: tempDir(),
      env: { AWS_SECRET_ACCESS_KEY: 'aws-secret-0123456789' },
    });
    const r = await post(
      d,
      `name: exfil
providers:
  gpt: { kind: openai, baseURL: "http://127.0.0.1:9/v1", apiKeyEnv: AWS_SECRET_ACCESS_KEY, model: m }
agents: [{ id: a, provider: gpt }]
stages: [{ name: s, prompt: go, agents: [a] }]
`,
    );
    expect(r.status).toBe(400);
    expect(r.body.error).toBe(
      "m.yaml:3 providers.gpt.apiKeyEnv: provider 'gpt': the key variable 'AWS_SECRET_ACCESS_KEY' is not allowed for submitted missions (add it with --allow-env AWS_SECRET_ACCESS_KEY or submissions.env in the daemon config)",
    );
  });
});

describe('daemon: a submission by path', () => {
  it("should refuse a path outside the directories the operator allowed (the daemon would read its host's files), and read one inside", async () => {
    const allowed = tempDir();
    const inside = join(allowed, 'hello.yaml');
    writeFileSync(inside, readFileSync('examples/hello.yaml', 'utf8'));
    const config = join(tempDir(), 'daemon.yaml');
    writeFileSync(config, `submissions:\n  paths: [${allowed}]\n`);
    const d = await startDaemon({ stateDir: tempDir(), args: ['--config', config] });
    const send = (path: string) =>
      fetch(new URL('/api/missions', d.url), {
        method: 'POST',
        headers: { authorization: `Bearer ${d.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ path }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, any> }));
    const etc = await send('/etc/passwd');
    expect(etc.status).toBe(400);
    expect(etc.body.error).toBe(
      `path: a submission by path makes the daemon read a file of its host, and '/etc/passwd' is not in a directory it allows ('${allowed}'); send the file's text as source, or allow a directory with submissions.paths in the daemon config`,
    );
    expect((await send(join(allowed, '..', '..', 'etc', 'passwd'))).status).toBe(400);
    const ok = await send(inside);
    expect(ok.status).toBe(201);
    expect((await finished(d, ok.body.id as string)).state).toBe('succeeded');
  });
});
