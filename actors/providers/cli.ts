/**
 * A coding CLI (codex, gemini, claude, any command) as a provider. The command runs without a
 * shell, sees only allowlisted environment variables, and is stopped (SIGTERM, then SIGKILL after
 * a grace period) when it runs too long, prints too much, or the call is aborted. A call settles
 * only once the process is gone, so a supervisor that restarts after a failure never races an
 * orphan. A call that names a worktree (`request.workdir`) runs confined there instead
 * (cliConfined.ts): what the CLI edits in it is a candidate.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { systemClock, type Clock } from '../../kernel/clock.js';
import type { CliProviderConfig } from '../../config/providers.js';
import { runCliConfined } from './cliConfined.js';
import { throwIfAborted } from './delay.js';
import {
  CliExitError,
  CliOutputCapError,
  CliSpawnError,
  ProviderAbortedError,
  ProviderTimeoutError,
  type ProviderError,
} from './errors.js';
import type { CompletionRequest, CompletionResult, Provider } from './provider.js';
import { estimateUsage, promptText } from './usage.js';

/** Time between SIGTERM and SIGKILL. */
export const KILL_GRACE_MS = 2_000;
/** Bytes of stderr kept for the error of a failed run. */
export const STDERR_TAIL_BYTES = 2_048;
const PROMPT_TOKEN = '{prompt}';

/** Why we are stopping a process; the error is built once it is gone. */
type Failure = (detail: string | undefined) => ProviderError;

export class CliProvider implements Provider {
  readonly kind = 'cli' as const;
  private readonly running = new Set<{ stop: (why: Failure) => void; done: Promise<unknown> }>();

  constructor(
    readonly id: string,
    private readonly config: CliProviderConfig,
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly clock: Clock = systemClock,
  ) {}

  get model(): string {
    return this.config.model ?? this.config.command;
  }

  async complete(request: CompletionRequest, signal?: AbortSignal): Promise<CompletionResult> {
    throwIfAborted(this.id, signal);
    const prompt = promptText(request);
    const started = this.clock.now();
    const text = request.workdir
      ? await this.runConfined(prompt, request.workdir, signal)
      : await this.run(prompt, signal);
    return {
      text,
      usage: estimateUsage(prompt, text),
      costUsd: 0,
      latencyMs: this.clock.now() - started,
      provider: this.id,
      model: this.model,
    };
  }

  /** Stops every process still running; their calls reject with `ProviderAbortedError`. */
  async close(): Promise<void> {
    const runs = [...this.running];
    for (const run of runs) run.stop((detail) => new ProviderAbortedError(this.id, { detail }));
    await Promise.allSettled(runs.map((r) => r.done));
  }

  /** In the worktree, in the sandbox; `close` aborts it like any other run. */
  private runConfined(
    prompt: string,
    workdir: NonNullable<CompletionRequest['workdir']>,
    signal: AbortSignal | undefined,
  ): Promise<string> {
    const viaArgs = this.config.args.some((a) => a.includes(PROMPT_TOKEN));
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = runCliConfined({
      providerId: this.id,
      config: this.config,
      args: this.config.args.map((a) => a.split(PROMPT_TOKEN).join(prompt)),
      stdin: viaArgs ? undefined : prompt,
      workdir,
      hostEnv: this.env,
      signal: controller.signal,
    }).finally(() => {
      signal?.removeEventListener('abort', onAbort);
      this.running.delete(run);
    });
    const run = { stop: () => controller.abort(), done };
    this.running.add(run);
    return done;
  }

  private run(prompt: string, signal: AbortSignal | undefined): Promise<string> {
    const { id, clock } = this;
    const { command, timeoutMs, maxOutputBytes } = this.config;
    const viaArgs = this.config.args.some((a) => a.includes(PROMPT_TOKEN));
    const args = this.config.args.map((a) => a.split(PROMPT_TOKEN).join(prompt));

    let child: ChildProcess;
    try {
      child = spawn(command, args, {
        shell: false,
        env: allowedEnv(this.env, this.config.envAllowlist),
        cwd: this.config.cwd,
        stdio: ['pipe', 'pipe', 'pipe'],
        windowsHide: true,
      });
    } catch (err) {
      // Thrown synchronously for arguments spawn refuses outright (a NUL byte, a bad cwd type).
      return Promise.reject(
        new CliSpawnError(id, command, { detail: (err as Error).message, cause: err }),
      );
    }

    let failure: Failure | undefined;
    let killTimer: unknown;
    let hardKilled = false;
    const stop = (why: Failure): void => {
      if (failure) return;
      failure = why;
      child.kill('SIGTERM');
      killTimer = clock.setTimeout(() => {
        hardKilled = true;
        child.kill('SIGKILL');
      }, KILL_GRACE_MS);
    };

    const done = new Promise<string>((resolve, reject) => {
      const stdout: Buffer[] = [];
      let stdoutBytes = 0;
      let stderrTail = Buffer.alloc(0);
      let settled = false;

      const timer = clock.setTimeout(
        () => stop((detail) => new ProviderTimeoutError(id, timeoutMs, { detail })),
        timeoutMs,
      );
      const onAbort = (): void =>
        stop((detail) => new ProviderAbortedError(id, { detail, cause: signal?.reason }));
      signal?.addEventListener('abort', onAbort, { once: true });

      const settle = (outcome: () => void): void => {
        if (settled) return;
        settled = true;
        clock.clearTimeout(timer);
        clock.clearTimeout(killTimer);
        signal?.removeEventListener('abort', onAbort);
        this.running.delete(run);
        outcome();
      };

      child.stdout?.on('data', (chunk: Buffer) => {
        if (failure) return;
        stdoutBytes += chunk.length;
        if (stdoutBytes > maxOutputBytes)
          stop((detail) => new CliOutputCapError(id, maxOutputBytes, { detail }));
        else stdout.push(chunk);
      });
      child.stderr?.on('data', (chunk: Buffer) => {
        stderrTail = Buffer.concat([stderrTail, chunk]).subarray(-STDERR_TAIL_BYTES);
      });
      // A process that exits without reading its stdin makes our write fail with EPIPE: not an error.
      child.stdin?.on('error', () => {});
      child.stdin?.end(viaArgs ? undefined : prompt);

      child.on('error', (err: NodeJS.ErrnoException) => {
        if (child.pid !== undefined) return; // a failed kill of a live process; 'close' still comes
        settle(() =>
          reject(new CliSpawnError(id, command, { detail: err.code ?? err.message, cause: err })),
        );
      });
      child.on('close', (code, sig) => {
        settle(() => {
          if (failure)
            reject(
              failure(hardKilled ? `killed with SIGKILL after ${KILL_GRACE_MS} ms` : undefined),
            );
          else if (code !== 0)
            reject(new CliExitError(id, command, code, sig, stderrTail.toString('utf8')));
          else resolve(Buffer.concat(stdout).toString('utf8').trim());
        });
      });
    });
    const run = { stop, done };
    this.running.add(run);
    return done;
  }
}

/** Only the allowlisted variables that are set: a CLI never sees keys it was not meant to. */
export function allowedEnv(
  env: NodeJS.ProcessEnv,
  allowlist: readonly string[],
): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const name of allowlist) {
    const value = env[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}
