import { parseNatsOptions, type NatsOptions } from '../transport/natsOptions.js';
import type { NatsFlags } from './natsFlags.js';

/** The options, or undefined when no --nats was given. Throws a ConfigError naming the flag. */
export function natsOptionsFromFlags(
  flags: NatsFlags,
  name: string,
  env: NodeJS.ProcessEnv = process.env,
): NatsOptions | undefined {
  if (!flags.nats?.length) return undefined;
  const tls =
    flags['nats-tls-ca'] || flags['nats-tls-cert'] || flags['nats-tls-key']
      ? {
          caFile: flags['nats-tls-ca'],
          certFile: flags['nats-tls-cert'],
          keyFile: flags['nats-tls-key'],
        }
      : undefined;
  const password = flags['nats-password'] ?? env.MAESTRO_NATS_PASSWORD;
  const token = flags['nats-token'] ?? env.MAESTRO_NATS_TOKEN;
  const input = Object.fromEntries(
    Object.entries({
      servers: flags.nats
        .flatMap((s) => s.split(','))
        .map((s) => s.trim())
        .filter(Boolean),
      user: flags['nats-user'],
      password: flags['nats-user'] ? password : undefined,
      token,
      credsFile: flags['nats-creds'],
      nkeySeedFile: flags['nats-nkey-seed-file'],
      inboxPrefix: flags['nats-inbox-prefix'] ?? env.MAESTRO_NATS_INBOX_PREFIX,
      tls,
      name,
    }).filter(([, v]) => v !== undefined),
  );
  return parseNatsOptions(input, '--nats');
}
