import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../../kernel/clock.js';
import { cliProviderSchema, type ProviderConfigInput } from '../../../config/providers.js';
import { CliProvider } from '../../../actors/providers/cli.js';
import {
  CliExitError,
  CliOutputCapError,
  CliSpawnError,
  ProviderAbortedError,
  ProviderTimeoutError,
} from '../../../actors/providers/errors.js';

const fakeCli = fileURLToPath(new URL('../../fixtures/fake-cli.mjs', import.meta.url));
const node = process.execPath;
const env = {
  PATH: process.env.PATH,
  HOME: '/home/maestro',
  LANG: 'C',
  SECRET_TOKEN: 'sk-secret',
  VISIBLE: 'yes',
};
const scratch = mkdtempSync(join(tmpdir(), 'maestro-cli-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

type Input = Omit<Extract<ProviderConfigInput, { kind: 'cli' }>, 'kind' | 'command'> & {
  command?: string;
};

function cli(input: Input, clock?: ManualClock): CliProvider {
  const config = cliProviderSchema.parse({ kind: 'cli', command: node, ...input });
  return new CliProvider('cli', config, env, clock);
}

describe('cli provider', () => {
  it('should answer with the trimmed stdout, estimated usage and the command as model', async () => {
    const result = await cli({ args: [fakeCli] }).complete({ prompt: 'hello there' });
    expect(result).toMatchObject({
      text: 'echo(stdin): hello there',
      usage: { promptTokens: 3, completionTokens: 6, totalTokens: 9, estimated: true },
      costUsd: 0,
      provider: 'cli',
      model: node,
    });
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('should put the prompt in place of {prompt} rather than on stdin', async () => {
    const provider = cli({ args: [fakeCli, '--prompt={prompt}'], model: 'fake' });
    const result = await provider.complete({ system: 'be brief', prompt: "it's $HOME; `rm -rf`" });
    expect(result.text).toBe("echo(argv): be brief\n\nit's $HOME; `rm -rf`");
    expect(result.model).toBe('fake');
  });

  it('should stop a process that runs past its timeout', async () => {
    const call = cli({ args: [fakeCli, '--mode=hang'], timeoutMs: 300 }).complete({ prompt: 'p' });
    const err = await call.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderTimeoutError);
    expect(err).toMatchObject({
      message: "provider 'cli': timed out after 300 ms",
      retryable: true,
      timeoutMs: 300,
    });
  });

  it('should SIGKILL a process that ignores SIGTERM, after the grace period', async () => {
    const clock = new ManualClock();
    const ready = join(scratch, 'ready');
    const provider = cli(
      { args: [fakeCli, '--mode=ignore-term', `--ready=${ready}`], timeoutMs: 1_000 },
      clock,
    );
    const call = provider.complete({ prompt: 'p' }).catch((e: unknown) => e);
    await vi.waitFor(() => expect(existsSync(ready)).toBe(true), { timeout: 5_000, interval: 10 });
    clock.advance(1_000);
    expect(clock.pending).toBe(1);
    clock.advance(2_000);
    const err = await call;
    expect(err).toBeInstanceOf(ProviderTimeoutError);
    expect((err as Error).message).toBe(
      "provider 'cli': timed out after 1000 ms: killed with SIGKILL after 2000 ms",
    );
  });

  it('should kill a process whose output passes the cap', async () => {
    const err = await cli({ args: [fakeCli, '--mode=flood'], maxOutputBytes: 10_000 })
      .complete({ prompt: 'p' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliOutputCapError);
    expect(err).toMatchObject({
      message: "provider 'cli': output exceeded 10000 bytes",
      limit: 10_000,
      retryable: false,
    });
  });

  it('should report a non-zero exit with the tail of stderr', async () => {
    const err = await cli({ args: [fakeCli, '--mode=fail'] })
      .complete({ prompt: 'p' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliExitError);
    const exit = err as CliExitError;
    expect(exit.message).toBe(`provider 'cli': '${node}' exited with code 3: fatal: bad things`);
    expect([exit.exitCode, exit.signal, exit.kind]).toEqual([3, null, 'exit']);
    expect(Buffer.byteLength(exit.stderrTail)).toBe(2_048);
    expect(
      exit.stderrTail.endsWith('noise line 099 .........................\nfatal: bad things\n'),
    ).toBe(true);
  });

  it('should pass only the allowlisted environment variables', async () => {
    const args = [fakeCli, '--mode=env', '--var=VISIBLE', '--var=SECRET_TOKEN', '--var=HOME'];
    const provider = cli({ args, envAllowlist: ['PATH', 'VISIBLE'] });
    const result = await provider.complete({ prompt: 'p' });
    expect(result.text).toBe('VISIBLE=yes\nSECRET_TOKEN=(unset)\nHOME=(unset)');
  });

  it('should report a command that cannot be found', async () => {
    const provider = cli({ command: 'maestro-no-such-command' });
    const err = await provider.complete({ prompt: 'p' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliSpawnError);
    expect(err).toMatchObject({
      message: "provider 'cli': cannot spawn 'maestro-no-such-command': ENOENT",
      retryable: false,
      command: 'maestro-no-such-command',
    });
  });

  it('should stop the process when aborted, and refuse a call already aborted', async () => {
    const provider = cli({ args: [fakeCli, '--mode=hang'] });
    const controller = new AbortController();
    const call = provider.complete({ prompt: 'p' }, controller.signal);
    controller.abort();
    await expect(call).rejects.toBeInstanceOf(ProviderAbortedError);
    await expect(provider.complete({ prompt: 'p' }, controller.signal)).rejects.toThrow(
      "provider 'cli': aborted",
    );
  });

  it('should stop every running process on close', async () => {
    const provider = cli({ args: [fakeCli, '--mode=hang'] });
    const calls = [provider.complete({ prompt: 'a' }), provider.complete({ prompt: 'b' })];
    const settled = Promise.allSettled(calls);
    await provider.close();
    const results = await settled;
    expect(
      results.map((r) => r.status === 'rejected' && r.reason instanceof ProviderAbortedError),
    ).toEqual([true, true]);
  });
});
