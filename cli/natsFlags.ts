/**
 * NATS connection options from the command line and the environment. Secrets are read from the
 * environment by preference (MAESTRO_NATS_PASSWORD, MAESTRO_NATS_TOKEN), so they stay out of
 * `ps` and shell history; flags work too. This file has no imports, so help and argument
 * parsing do not load the NATS client; `natsOptionsFromFlags` (natsConnect.ts) does.
 */
export const natsFlagOptions = {
  nats: { type: 'string', multiple: true },
  'nats-user': { type: 'string' },
  'nats-password': { type: 'string' },
  'nats-token': { type: 'string' },
  'nats-creds': { type: 'string' },
  'nats-nkey-seed-file': { type: 'string' },
  'nats-inbox-prefix': { type: 'string' },
  'nats-tls-ca': { type: 'string' },
  'nats-tls-cert': { type: 'string' },
  'nats-tls-key': { type: 'string' },
} as const;

export const natsFlagNames = Object.keys(natsFlagOptions);

export interface NatsFlags {
  nats?: string[];
  'nats-user'?: string;
  'nats-password'?: string;
  'nats-token'?: string;
  'nats-creds'?: string;
  'nats-nkey-seed-file'?: string;
  'nats-inbox-prefix'?: string;
  'nats-tls-ca'?: string;
  'nats-tls-cert'?: string;
  'nats-tls-key'?: string;
}

export const natsFlagsHelp = `NATS connection:
  --nats URL                 server URL (repeat, or comma-separate, for a cluster's seed list)
  --nats-user USER           with MAESTRO_NATS_PASSWORD (or --nats-password)
  --nats-token TOKEN         or MAESTRO_NATS_TOKEN
  --nats-creds FILE          a .creds file (JWT and nkey seed)
  --nats-nkey-seed-file FILE an nkey user seed
  --nats-inbox-prefix P      replies to this process go to P.> (default _INBOX; or
                             MAESTRO_NATS_INBOX_PREFIX): what maestro nats-config gives each user
  --nats-tls-ca FILE, --nats-tls-cert FILE, --nats-tls-key FILE`;
