/**
 * What `maestro validate` warns about but does not refuse: things true of this machine that may
 * not be true where the mission runs. Today one: an openai provider's key variable that is unset
 * here. `run` needs it in its own environment, the daemon in its own, a NATS worker in its own:
 * validate cannot know which, so it warns; what runs the provider refuses then, naming the variable.
 */
import type { Env, PathIssue } from './interpolate.js';
import { openaiProviderSchema } from './providers.js';

/** The key variable an openai provider reads when the file names none (the schema's default). */
const DEFAULT_KEY_ENV: string = openaiProviderSchema.shape.apiKeyEnv.parse(undefined);

/** Warnings about a mission value (interpolated, not yet validated: the fields are read defensively). */
export function missionWarnings(value: unknown, env: Env): PathIssue[] {
  const providers = fields(fields(value)?.['providers']);
  if (!providers) return [];
  return Object.entries(providers).flatMap(([id, p]) => {
    const provider = fields(p);
    if (provider?.['kind'] !== 'openai') return [];
    const name = provider['apiKeyEnv'] === undefined ? DEFAULT_KEY_ENV : provider['apiKeyEnv'];
    if (typeof name !== 'string' || name === '' || env[name]) return [];
    const state = env[name] === undefined ? 'is not set' : 'is empty';
    return [
      {
        path: ['providers', id, 'apiKeyEnv'],
        message: `${name} ${state} in this environment (it may be set where the mission runs)`,
      },
    ];
  });
}

function fields(value: unknown): Readonly<Record<string, unknown>> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
