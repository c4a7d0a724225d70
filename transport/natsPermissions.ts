/**
 * The NATS server's `authorization` block for Maestro's three roles, so that the bus is a trust
 * boundary the server itself enforces:
 *
 * - the **daemon** (or `maestro run --nats`) may do everything on the bus: it is where missions,
 *   their events, their approvals and their results of record live;
 * - a **worker** may take calls only for its own capabilities (subscribe to their agent-call
 *   subjects and pull from their durable consumers), answer only the requests it received
 *   (`allow_responses`), write only its own registry key, and publish and record results only
 *   of its own capabilities' jobs; it may
 *   not publish mission events, daemon API requests or JetStream advisories;
 * - a **client** (a program using the daemon's NATS API) may only send requests to the
 *   daemon's API subjects.
 *
 * Every user's replies come to its own inbox prefix (`_INBOX_<user>`), so nobody can listen to
 * another's answers. Passwords are given or made here; the block is plain nats-server config.
 */
import { randomBytes } from 'node:crypto';
import { RESULTS_BUCKET, WORK_STREAM, DLQ_STREAM, consumerName } from './natsWorkProtocol.js';
import { WORKERS_BUCKET } from './natsRegistry.js';
import { AGENT_CALL_SUBJECT_PREFIX } from './protocol.js';

export interface NatsRoleUser {
  user: string;
  password?: string;
}

export interface NatsWorkerUser extends NatsRoleUser {
  /** The worker's `--id`: the registry key it may write. */
  id: string;
  /** The providers it serves (its `--capability` values). */
  capabilities: string[];
}

export interface NatsRoles {
  daemon: NatsRoleUser;
  workers: NatsWorkerUser[];
  clients: NatsRoleUser[];
}

export interface NatsPermissions {
  publish: { allow: string[]; deny?: string[] };
  subscribe: { allow: string[]; deny?: string[] };
  allow_responses?: boolean;
}

export interface NatsAuthorizedUser {
  user: string;
  password: string;
  role: 'daemon' | 'worker' | 'client';
  inboxPrefix: string;
  permissions: NatsPermissions;
}

const USER = /^[A-Za-z0-9_-]{1,64}$/;

/** An invalid role definition (a user name that is not a subject token, a worker without capabilities). */
export class NatsRolesError extends Error {
  override name = 'NatsRolesError';
}

export const inboxPrefixOf = (user: string): string => `_INBOX_${user}`;

/** What may never come from anyone but the server or the daemon. */
const NOT_FROM_OTHERS = ['maestro.events.>', 'maestro.daemon.>', '$JS.EVENT.>', '$SYS.>'];

export function daemonPermissions(): NatsPermissions {
  return { publish: { allow: ['>'] }, subscribe: { allow: ['>'] } };
}

export function workerPermissions(w: NatsWorkerUser): NatsPermissions {
  const js = '$JS.API';
  const perCapability = w.capabilities.flatMap((cap) => {
    const consumer = consumerName(cap);
    return [
      `${js}.CONSUMER.CREATE.${WORK_STREAM}.${consumer}`,
      `${js}.CONSUMER.CREATE.${WORK_STREAM}.${consumer}.>`,
      `${js}.CONSUMER.DURABLE.CREATE.${WORK_STREAM}.${consumer}`,
      `${js}.CONSUMER.INFO.${WORK_STREAM}.${consumer}`,
      `${js}.CONSUMER.MSG.NEXT.${WORK_STREAM}.${consumer}`,
      `$JS.ACK.${WORK_STREAM}.${consumer}.>`,
      // Results of its own capabilities' jobs only: notices and results, and their record.
      `maestro.result.${cap}.>`,
      `$KV.${RESULTS_BUCKET}.${cap}.>`,
    ];
  });
  return {
    publish: {
      allow: [
        `${js}.INFO`,
        `${js}.STREAM.INFO.*`,
        ...[WORK_STREAM, DLQ_STREAM, `KV_${RESULTS_BUCKET}`, `KV_${WORKERS_BUCKET}`].map(
          (s) => `${js}.STREAM.CREATE.${s}`,
        ),
        `${js}.STREAM.MSG.GET.KV_${RESULTS_BUCKET}`,
        `${js}.DIRECT.GET.KV_${RESULTS_BUCKET}.>`,
        `$KV.${WORKERS_BUCKET}.${w.id}`,
        ...perCapability,
      ],
      deny: NOT_FROM_OTHERS,
    },
    subscribe: {
      allow: [
        `${inboxPrefixOf(w.user)}.>`,
        ...w.capabilities.map((c) => `${AGENT_CALL_SUBJECT_PREFIX}${c}`),
      ],
    },
    allow_responses: true,
  };
}

export function clientPermissions(c: NatsRoleUser): NatsPermissions {
  return {
    publish: { allow: ['maestro.daemon.>'] },
    subscribe: { allow: [`${inboxPrefixOf(c.user)}.>`] },
  };
}

/** Every user with its role, password (made when not given) and permissions. */
export function authorizedUsers(
  roles: NatsRoles,
  password: () => string = () => randomBytes(18).toString('base64url'),
): NatsAuthorizedUser[] {
  const all: NatsRoleUser[] = [roles.daemon, ...roles.workers, ...roles.clients];
  const seen = new Set<string>();
  for (const u of all) {
    if (!USER.test(u.user))
      throw new NatsRolesError(`user '${u.user}': expected letters, digits, _ or - (at most 64)`);
    if (seen.has(u.user)) throw new NatsRolesError(`user '${u.user}' is named twice`);
    seen.add(u.user);
  }
  for (const w of roles.workers) {
    if (w.capabilities.length === 0)
      throw new NatsRolesError(`worker '${w.user}': expected at least one capability`);
    for (const c of w.capabilities)
      if (!USER.test(c))
        throw new NatsRolesError(`worker '${w.user}': capability '${c}' is not a subject token`);
  }
  const make = (
    u: NatsRoleUser,
    role: NatsAuthorizedUser['role'],
    permissions: NatsPermissions,
  ): NatsAuthorizedUser => ({
    user: u.user,
    password: u.password ?? password(),
    role,
    inboxPrefix: inboxPrefixOf(u.user),
    permissions,
  });
  return [
    make(roles.daemon, 'daemon', daemonPermissions()),
    ...roles.workers.map((w) => make(w, 'worker', workerPermissions(w))),
    ...roles.clients.map((c) => make(c, 'client', clientPermissions(c))),
  ];
}

/** The nats-server config text: `authorization { users = [...] }`. */
export function authorizationBlock(users: readonly NatsAuthorizedUser[]): string {
  const q = (s: string) => JSON.stringify(s);
  const list = (xs: readonly string[]) => `[${xs.map(q).join(', ')}]`;
  const rule = (r: { allow: string[]; deny?: string[] }) =>
    `{ allow: ${list(r.allow)}${r.deny ? `, deny: ${list(r.deny)}` : ''} }`;
  const lines = users.map((u) => {
    const p = u.permissions;
    const perms = `publish: ${rule(p.publish)}, subscribe: ${rule(p.subscribe)}${p.allow_responses ? ', allow_responses: true' : ''}`;
    return `    # ${u.role}\n    { user: ${q(u.user)}, password: ${q(u.password)}, permissions: { ${perms} } }`;
  });
  return `authorization {\n  users = [\n${lines.join('\n')}\n  ]\n}\n`;
}
