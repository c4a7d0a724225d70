/**
 * How Maestro connects to NATS, as its config file and flags give it, and the mapping to NATS.js
 * `ConnectionOptions`. One way to authenticate at most: user and password, a token, an nkey seed,
 * or a creds file (JWT and seed). Secret values (password, token, seeds, a password in a server
 * URL) are registered with the redactor as soon as they are parsed, so they never reach a log.
 */
import { readFileSync } from 'node:fs';
import {
  type Authenticator,
  type ConnectionOptions,
  credsAuthenticator,
  nkeyAuthenticator,
  tokenAuthenticator,
  usernamePasswordAuthenticator,
} from '@nats-io/transport-node';
import { z } from 'zod';
import { ConfigError, UserError } from '../kernel/errors.js';
import { formatPath } from '../config/loader.js';
import { registerSecret } from '../kernel/secrets.js';

export const natsTlsSchema = z
  .strictObject({
    /** CA bundle that signs the server's certificate. */
    caFile: z.string().min(1).optional(),
    /** Client certificate, for servers that verify clients; needs `keyFile`. */
    certFile: z.string().min(1).optional(),
    keyFile: z.string().min(1).optional(),
  })
  .superRefine((tls, ctx) => {
    if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
      const missing = tls.certFile === undefined ? 'certFile' : 'keyFile';
      ctx.addIssue({
        code: 'custom',
        path: [missing],
        message: 'certFile and keyFile go together',
      });
    }
  });

const serverUrl = z.string().min(1);

export const natsOptionsSchema = z
  .strictObject({
    /** One server or a cluster's seed list; `host:port` and `nats://` / `tls://` URLs. @default 'nats://127.0.0.1:4222' */
    servers: z.union([serverUrl, z.array(serverUrl).min(1)]).default('nats://127.0.0.1:4222'),
    user: z.string().min(1).optional(),
    /** Needs `user`. */
    password: z.string().min(1).optional(),
    token: z.string().min(1).optional(),
    /** An nkey user seed (`SU...`); or `nkeySeedFile`, a file holding it. */
    nkeySeed: z
      .string()
      .regex(/^S[A-Z2-7]+$/, 'must be an nkey seed (S followed by base32)')
      .optional(),
    nkeySeedFile: z.string().min(1).optional(),
    /** A `.creds` file: the user JWT and its nkey seed. */
    credsFile: z.string().min(1).optional(),
    tls: natsTlsSchema.optional(),
    /**
     * Where replies to this connection's requests go (NATS.js `inboxPrefix`). Under the
     * authorization `maestro nats-config` writes, each user has its own (`_INBOX_<user>`), so
     * no one can subscribe to another's answers. @default '_INBOX'
     */
    inboxPrefix: z
      .string()
      .regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'must be a literal subject prefix')
      .optional(),
    /** The connection's name, shown by the server's monitoring. @default the process's name for itself */
    name: z.string().min(1).optional(),
    /** Reconnect attempts per server after a connection is lost; -1 retries forever. @default -1 */
    maxReconnectAttempts: z.int().min(-1).default(-1),
    /** Wait between attempts on one server. @default 1000 */
    reconnectTimeWaitMs: z.int().nonnegative().default(1000),
    /** Bound on opening one connection (TCP, TLS and the handshake). @default 20000 */
    connectTimeoutMs: z.int().positive().default(20_000),
  })
  .superRefine((o, ctx) => {
    const methods = [
      o.user !== undefined || o.password !== undefined ? 'user/password' : undefined,
      o.token !== undefined ? 'token' : undefined,
      o.nkeySeed !== undefined || o.nkeySeedFile !== undefined ? 'nkey' : undefined,
      o.credsFile !== undefined ? 'credsFile' : undefined,
    ].filter((m) => m !== undefined);
    if (methods.length > 1) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: `choose one way to authenticate, not ${methods.join(' and ')}`,
      });
    }
    if (o.password !== undefined && o.user === undefined) {
      ctx.addIssue({ code: 'custom', path: ['user'], message: 'required with password' });
    }
    if (o.nkeySeed !== undefined && o.nkeySeedFile !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['nkeySeedFile'],
        message: 'give nkeySeed or nkeySeedFile, not both',
      });
    }
  });

export type NatsOptions = z.output<typeof natsOptionsSchema>;
export type NatsOptionsInput = z.input<typeof natsOptionsSchema>;

/** A file named in the NATS options that cannot be read or holds nothing usable. */
export class NatsOptionsError extends UserError {
  override name = 'NatsOptionsError';
  constructor(
    readonly field: string,
    readonly file: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`nats.${field}: ${reason}: '${file}'`, options);
  }
}

/**
 * Defaults and validation; errors read `<source> <field>: <message>`. Registers the secrets found.
 * Safe to call on options already parsed.
 */
export function parseNatsOptions(input: unknown, source = 'nats'): NatsOptions {
  const result = natsOptionsSchema.safeParse(input);
  if (!result.success) {
    throw new ConfigError(
      source,
      result.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })),
    );
  }
  registerNatsSecrets(result.data);
  return result.data;
}

/** Masks, in every log, the secrets these options carry (also a password inside a server URL). */
export function registerNatsSecrets(options: NatsOptionsInput): void {
  registerSecret(options.password);
  registerSecret(options.token);
  registerSecret(options.nkeySeed);
  const servers = options.servers === undefined ? [] : [options.servers].flat();
  for (const s of servers) registerSecret(urlPassword(s));
}

/** The NATS.js options for `connect`. Reads the seed and creds files now, so a bad path fails early. */
export function toConnectionOptions(input: NatsOptionsInput): ConnectionOptions {
  const o = parseNatsOptions(input);
  const out: ConnectionOptions = {
    servers: o.servers,
    maxReconnectAttempts: o.maxReconnectAttempts,
    reconnectTimeWait: o.reconnectTimeWaitMs,
    timeout: o.connectTimeoutMs,
  };
  if (o.name !== undefined) out.name = o.name;
  if (o.inboxPrefix !== undefined) out.inboxPrefix = o.inboxPrefix;
  const authenticator = authenticatorFor(o);
  if (authenticator) out.authenticator = authenticator;
  if (o.tls) {
    out.tls = {};
    if (o.tls.caFile !== undefined) out.tls.caFile = o.tls.caFile;
    if (o.tls.certFile !== undefined) out.tls.certFile = o.tls.certFile;
    if (o.tls.keyFile !== undefined) out.tls.keyFile = o.tls.keyFile;
  }
  return out;
}

function authenticatorFor(o: NatsOptions): Authenticator | undefined {
  if (o.user !== undefined) return usernamePasswordAuthenticator(o.user, o.password);
  if (o.token !== undefined) return tokenAuthenticator(o.token);
  if (o.nkeySeed !== undefined) return nkeyAuthenticator(new TextEncoder().encode(o.nkeySeed));
  if (o.nkeySeedFile !== undefined) {
    const seed = readSecretFile('nkeySeedFile', o.nkeySeedFile).trim();
    if (!/^S[A-Z2-7]+$/.test(seed))
      throw new NatsOptionsError('nkeySeedFile', o.nkeySeedFile, 'holds no nkey seed');
    registerSecret(seed);
    return nkeyAuthenticator(new TextEncoder().encode(seed));
  }
  if (o.credsFile !== undefined) {
    const creds = readSecretFile('credsFile', o.credsFile);
    const secrets = creds.match(CREDS_SECRET) ?? [];
    if (secrets.length === 0)
      throw new NatsOptionsError('credsFile', o.credsFile, 'holds no JWT or nkey seed');
    for (const s of secrets) registerSecret(s.trim());
    return credsAuthenticator(new TextEncoder().encode(creds));
  }
  return undefined;
}

/** The user JWT and the seed inside a creds file, each alone on its line. */
const CREDS_SECRET = /^\s*(?:S[A-Z2-7]{40,}|eyJ[\w-]+\.[\w-]+\.[\w-]+)\s*$/gm;

function readSecretFile(field: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new NatsOptionsError(field, file, `cannot read the file (${code})`, { cause: err });
  }
}

function urlPassword(server: string): string | undefined {
  if (!server.includes('@')) return undefined;
  try {
    const url = new URL(server.includes('://') ? server : `nats://${server}`);
    return decodeURIComponent(url.password || url.username) || undefined;
  } catch {
    return undefined;
  }
}
