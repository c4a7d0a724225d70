/**
 * The agents the consult and consensus tools may call: the `providers` and `agents` of a mission
 * file the operator names (`maestro mcp --agents FILE`). Keys come from the server's environment
 * through the file's `apiKeyEnv`, never from a tool's arguments. A provider is made once, on its
 * first call, and shared by every tool call after.
 */
import { loadConfigFile } from '../config/loader.js';
import {
  agentTimeoutMs,
  missionSchema,
  type AgentConfig,
  type MissionConfig,
} from '../config/mission.js';
import { UserError } from '../kernel/errors.js';
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

export class Catalog {
  private readonly providers = new Map<string, Provider>();

  private constructor(
    readonly config: Pick<MissionConfig, 'providers' | 'agents'>,
    readonly file: string | undefined,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /** Reads `file` (a mission file) as the loader reads any: `${NAME}` from `env`, errors with lines. */
  static async load(file: string, env: NodeJS.ProcessEnv = process.env): Promise<Catalog> {
    const config = await loadConfigFile(file, missionSchema, { env });
    return new Catalog(config, file, env);
  }

  /** No agents: the tools that call a model say how to give some. */
  static empty(): Catalog {
    return new Catalog({ providers: {}, agents: [] }, undefined, {});
  }

  /** For tests and embedding: a catalog from a parsed mission config. */
  static of(config: Pick<MissionConfig, 'providers' | 'agents'>, env = process.env): Catalog {
    return new Catalog(config, '(in memory)', env);
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
