/**
 * The agents the consult and consensus tools may call: the `providers` and `agents` of an agents
 * file the operator names (`maestro mcp --agents FILE`: any mission file, or only those two).
 * Keys come from the server's environment through the file's `apiKeyEnv` (or a `${NAME}` in a
 * header), never from a tool's arguments; their values are registered as secrets, masked in
 * every result and log. A provider is made once, on its first call, and shared after. The file's
 * text before interpolation (`raw`) is what `workflow_start` submits, so the daemon reads the
 * variables itself, and what a host's mission must match to use those variables.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { interpolateEnv } from '../config/interpolate.js';
import { loadConfigFile } from '../config/loader.js';
import {
  agentsFileSchema,
  agentTimeoutMs,
  type AgentConfig,
  type MissionConfig,
} from '../config/mission.js';
import { UserError } from '../kernel/errors.js';
import { registerSecret } from '../kernel/secrets.js';
import { createProvider } from '../actors/providers/createProvider.js';
import type { CompletionResult, Provider } from '../actors/providers/provider.js';

export class UnknownAgentError extends UserError {
  override name = 'UnknownAgentError';
  constructor(
    readonly agent: string,
    known: readonly string[],
    file: string | undefined,
  ) {
    super(
      file === undefined
        ? `agent '${agent}': this server has no agents (start maestro mcp with --agents FILE, a mission file whose providers and agents the tools may call)`
        : `agent '${agent}' is not in ${file} (its agents: ${known.join(', ')})`,
    );
  }
}

export interface AskOptions {
  /** Instead of the agent's own role. */
  system?: string;
  signal?: AbortSignal;
  /** Who asks, for the provider's logs and scripted matching. */
  caller: string;
}

/** The agents file as written: its providers and agents before `${NAME}` is read. */
export interface RawCatalog {
  providers: Record<string, unknown>;
  agents: unknown[];
}

export class Catalog {
  private readonly providers = new Map<string, Provider>();

  private constructor(
    readonly config: Pick<MissionConfig, 'providers' | 'agents'>,
    readonly raw: RawCatalog,
    readonly file: string | undefined,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    for (const name of this.variables()) registerSecret(env[name]);
  }

  /** Reads `file` as the loader reads any config: `${NAME}` from `env`, errors with lines. */
  static async load(file: string, env: NodeJS.ProcessEnv = process.env): Promise<Catalog> {
    const config = await loadConfigFile(file, agentsFileSchema, { env });
    const raw = parse(readFileSync(file, 'utf8')) as RawCatalog;
    return new Catalog(config, { providers: raw.providers, agents: raw.agents }, file, env);
  }

  /** No agents: the tools that call a model say how to give some. */
  static empty(): Catalog {
    return new Catalog({ providers: {}, agents: [] }, { providers: {}, agents: [] }, undefined, {});
  }

  /**
   * The variables of the environment its providers read: each openai provider's key
   * (`apiKeyEnv`), each `${NAME}` in a provider, each cli provider's `envAllowlist`.
   */
  variables(): string[] {
    const names = new Set<string>();
    for (const p of Object.values(this.config.providers)) {
      if (p.kind === 'openai') names.add(p.apiKeyEnv);
      if (p.kind === 'cli') for (const n of p.envAllowlist) names.add(n);
    }
    for (const name of referencedVariables(this.raw.providers)) names.add(name);
    return [...names];
  }

  ids(): string[] {
    return this.config.agents.map((a) => a.id);
  }

  agent(id: string): AgentConfig {
    const agent = this.config.agents.find((a) => a.id === id);
    if (agent === undefined) throw new UnknownAgentError(id, this.ids(), this.file);
    return agent;
  }

  /** One call of agent `id`, bounded by its timeout and `signal`. */
  async ask(id: string, prompt: string, options: AskOptions): Promise<CompletionResult> {
    const agent = this.agent(id);
    const config = this.config.providers[agent.provider]!;
    let provider = this.providers.get(agent.provider);
    if (provider === undefined) {
      provider = createProvider(agent.provider, config, { env: this.env });
      this.providers.set(agent.provider, provider);
    }
    const bound = AbortSignal.timeout(agentTimeoutMs(agent, config));
    const system = options.system ?? agent.role;
    return provider.complete(
      {
        prompt,
        caller: options.caller,
        ...(system !== undefined && { system }),
        ...(agent.model !== undefined && { model: agent.model }),
        ...(agent.temperature !== undefined && { temperature: agent.temperature }),
        ...(agent.maxTokens !== undefined && { maxTokens: agent.maxTokens }),
      },
      options.signal ? AbortSignal.any([options.signal, bound]) : bound,
    );
  }

  async close(): Promise<void> {
    await Promise.all([...this.providers.values()].map((p) => p.close?.()));
    this.providers.clear();
  }
}

/** Every `${NAME}` in `value` (a config before interpolation), with where it is. */
export function variableReferences(
  value: unknown,
): { name: string; path: readonly (string | number)[] }[] {
  // Refusing every name lists every reference, with its path (defaults included).
  return interpolateEnv(value, {}, { has: () => false, refusal: (name) => name }).issues.map(
    (i) => ({ name: i.message, path: i.path }),
  );
}

function referencedVariables(value: unknown): string[] {
  return variableReferences(value).map((r) => r.name);
}
