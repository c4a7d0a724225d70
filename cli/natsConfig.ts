/**
 * `maestro nats-config`: the nats-server `authorization` block for a daemon, its workers and
 * its clients, each user limited to what its role needs (transport/natsPermissions.ts). Prints
 * it (or writes it 0600 with --out) with, above each user, the flags that role connects with.
 */
import { writeFileSync } from 'node:fs';
import {
  authorizationBlock,
  authorizedUsers,
  NatsRolesError,
  type NatsAuthorizedUser,
  type NatsWorkerUser,
} from '../transport/natsPermissions.js';
import type { Io } from './io.js';
import { UsageError } from './io.js';

export interface NatsConfigFlags {
  daemon?: string;
  worker?: string[];
  client?: string[];
  out?: string;
}

export function natsConfigCommand(flags: NatsConfigFlags, io: Io): number {
  if (!flags.daemon)
    throw new UsageError('maestro nats-config: --daemon USER is required', {
      command: 'nats-config',
    });
  const workers = (flags.worker ?? []).map(parseWorker);
  let users: NatsAuthorizedUser[];
  try {
    users = authorizedUsers({
      daemon: { user: flags.daemon },
      workers,
      clients: (flags.client ?? []).map((user) => ({ user })),
    });
  } catch (err) {
    if (err instanceof NatsRolesError)
      throw new UsageError(`maestro nats-config: ${err.message}`, { cause: err });
    throw err;
  }
  const how = users.map(
    (u) =>
      `#   ${u.role} ${u.user}: --nats-user ${u.user} --nats-inbox-prefix ${u.inboxPrefix} (password in MAESTRO_NATS_PASSWORD)${u.role === 'worker' ? ` --id ${workers.find((w) => w.user === u.user)!.id}` : ''}`,
  );
  const text = `# Maestro's roles on this server (maestro nats-config). Put this block in the server's config
# file (with jetstream enabled), and connect each role as its comment says:
${how.join('\n')}
${authorizationBlock(users)}`;
  if (flags.out) {
    writeFileSync(flags.out, text, { mode: 0o600 });
    io.err(`maestro nats-config: wrote ${flags.out} (mode 0600: it holds the passwords)`);
  } else io.out(text.trimEnd());
  return 0;
}

/** `USER:ID:CAP[,CAP...]` (ID defaults to USER). */
function parseWorker(value: string): NatsWorkerUser {
  const parts = value.split(':');
  const [user, id, caps] = parts.length === 2 ? [parts[0], parts[0], parts[1]] : parts;
  if (!user || !id || !caps || parts.length > 3)
    throw new UsageError(
      `maestro nats-config: --worker: expected USER:CAP[,CAP...] or USER:ID:CAP[,CAP...], got '${value}'`,
      { command: 'nats-config' },
    );
  return { user, id, capabilities: caps.split(',').filter(Boolean) };
}
