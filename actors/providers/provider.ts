/**
 * What every provider offers: one completion call that returns text with its usage, cost,
 * latency and provenance, or throws a `ProviderError` subclass the supervisor can act on.
 */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  /** True when the provider did not report usage and it was estimated from text length. */
  estimated?: boolean;
}

export interface CompletionRequest {
  /** Overrides the provider's default model. */
  model?: string;
  system?: string;
  prompt: string;
  temperature?: number;
  maxTokens?: number;
  /** Same key, same call: lets a provider or a transport de-duplicate a retried call. */
  idempotencyKey?: string;
  /** Who asks, for logs and scripted matching: `stage/agent`. */
  caller?: string;
  /**
   * A candidate's worktree to work in: a `cli` provider (a coding CLI) runs there, confined to
   * it, and its edits become the candidate. Providers that only answer text ignore it. Local
   * paths: it is not sent over NATS.
   */
  workdir?: Workdir;
}

/** Where a coding CLI may work: `Workspace.confinement(candidate)` gives one. */
export interface Workdir {
  /** The folder it runs in and may write (absolute). */
  cwd: string;
  /** The worktree's git dir, bound read-only. */
  gitDir?: string;
  /** Host paths it must not see (the state dir, the user's tree). */
  hide?: readonly string[];
  /** Host paths it may read inside the hidden ones (the repository's common git dir). */
  readOnly?: readonly string[];
}

export interface CompletionResult {
  text: string;
  usage: Usage;
  /** US dollars, from the provider's configured prices per million tokens; 0 when unpriced. */
  costUsd: number;
  latencyMs: number;
  provider: string;
  model: string;
}

export interface Provider {
  /** The provider's id in the mission config. */
  readonly id: string;
  /** A built-in kind, or one registered with `registerProviderKind`. */
  readonly kind: 'openai' | 'cli' | 'scripted' | 'simulated' | (string & {});
  complete(request: CompletionRequest, signal?: AbortSignal): Promise<CompletionResult>;
  /** Releases what the provider holds (HTTP agents, child processes). */
  close?(): Promise<void>;
}
