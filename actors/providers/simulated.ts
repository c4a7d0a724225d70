/**
 * A model that fails at a set rate after a sampled latency, deterministic for a seed: benchmarks,
 * demos and tests of the machinery that must survive unreliable models (retries, voting). With a
 * `task`, it answers that task's prompts instead, wrong at `errorRate` (see `hanoiSimulator.ts`).
 */
import { systemClock, type Clock } from '../../kernel/clock.js';
import { errorMessage } from '../../kernel/errors.js';
import type { LatencyConfig, SimulatedProviderConfig } from '../../config/providers.js';
import { hanoiSimulatedAnswer, type HanoiSimulatorOptions } from '../tasks/index.js';
import { delay, throwIfAborted } from './delay.js';
import { ProviderError } from './errors.js';
import type { CompletionRequest, CompletionResult, Provider } from './provider.js';
import { mulberry32, normal, pick, type Random } from './random.js';
import { costOf, estimateUsage, promptText } from './usage.js';

export class SimulatedProvider implements Provider {
  readonly kind = 'simulated' as const;
  private readonly random: Random;
  private readonly taskOptions: HanoiSimulatorOptions | undefined;
  private count = 0;

  constructor(
    readonly id: string,
    private readonly config: SimulatedProviderConfig,
    private readonly clock: Clock = systemClock,
  ) {
    this.random = mulberry32(config.seed);
    this.taskOptions = config.task && { ...config.task, errorRate: config.errorRate };
  }

  /** Calls made so far, including failed ones. */
  get calls(): number {
    return this.count;
  }

  async complete(request: CompletionRequest, signal?: AbortSignal): Promise<CompletionResult> {
    throwIfAborted(this.id, signal);
    const n = ++this.count;
    const started = this.clock.now();
    // Every call draws all its numbers, always in the same order, before any wait: the outcome of
    // call n depends only on the seed, the config and n, however calls interleave or end.
    const latencyMs = sampleLatency(this.random, this.config.latencyMs);
    const { errorRate, crashRate = 0 } = this.config;
    let fails: boolean;
    let text: string;
    if (this.taskOptions) {
      // errorRate means wrong answers here; only crashRate crashes.
      fails = this.random() < crashRate;
      text = this.taskAnswer(request.prompt, this.taskOptions);
    } else {
      fails = this.random() < (crashRate === 0 ? errorRate : 1 - (1 - errorRate) * (1 - crashRate));
      const answers = this.config.answers;
      text =
        answers?.[pick(this.random, answers.length)] ??
        `simulated answer #${n}: ${request.prompt.slice(0, 40)}`;
    }
    await delay(this.id, this.clock, latencyMs, signal);
    if (fails)
      throw new ProviderError(this.id, 'crash', `simulated crash on call #${n}`, {
        retryable: true,
      });
    const usage = estimateUsage(promptText(request), text);
    return {
      text,
      usage,
      costUsd: costOf(usage, this.config.prices),
      latencyMs: this.clock.now() - started,
      provider: this.id,
      model: request.model ?? this.config.model,
    };
  }

  private taskAnswer(prompt: string, options: HanoiSimulatorOptions): string {
    try {
      return hanoiSimulatedAnswer(prompt, this.random, options);
    } catch (err) {
      throw new ProviderError(this.id, 'crash', 'simulated task model', {
        retryable: false,
        cause: err,
        detail: errorMessage(err),
      });
    }
  }
}

/** One latency in whole milliseconds from the configured distribution. */
export function sampleLatency(random: Random, latency: LatencyConfig): number {
  const r = random();
  switch (latency.distribution) {
    case 'fixed':
      return Math.round(latency.ms);
    case 'uniform':
      return Math.round(latency.minMs + r * (latency.maxMs - latency.minMs));
    case 'lognormal':
      return Math.round(latency.medianMs * Math.exp(latency.sigma * normal(random)));
  }
}
