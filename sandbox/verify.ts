/**
 * `verify`: one verification command (test, lint, typecheck) run sandboxed in a candidate's
 * worktree, with the test counts read from its output where the runner is known, so a selection
 * engine can rank candidates by tests passed and not only by exit code. The whole stdout (up to
 * the output cap) is read for the counts (a JSON report is not in its last 4 KB); the result
 * keeps only the tails.
 */
import { missionContext, SpanKind, SpanStatusCode, tracer } from '../kernel/tracing.js';
import { runSandboxed, checkArgv } from './sandbox.js';
import { Tail } from './tail.js';
import { parseTestCounts, type TestCounts } from './testCounts.js';
import {
  DEFAULT_ENV,
  DEFAULT_MAX_OUTPUT_BYTES,
  DEFAULT_TAIL_BYTES,
  type SandboxResult,
  type SandboxRun,
} from './types.js';

export interface VerifyCommand {
  /** `test`, `lint`, `typecheck`: named in errors and results. */
  name: string;
  argv: string[];
  /** @default 300000 */
  timeoutMs?: number;
  /** @default false */
  network?: boolean;
  /** More variables it sees, on top of the sandbox's `env`. */
  env?: string[];
}

/** The sandbox settings shared by every command of a workspace. */
export type VerifyOptions = Omit<
  SandboxRun,
  'argv' | 'cwd' | 'timeoutMs' | 'network' | 'tailBytes'
> & {
  /** The path of the mission work it is part of: its `execute_tool` span goes under the mission's. */
  tracePath?: string;
};

export interface VerifyResult extends SandboxResult {
  name: string;
  /** Exit 0 and not killed. */
  ok: boolean;
  counts?: TestCounts;
}

export async function verify(
  command: VerifyCommand,
  worktree: string,
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const argv = checkArgv(command.argv, `verify.${command.name}.argv`);
  const maxOutputBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const { tracePath, ...run } = options;
  const span = tracer().startSpan(
    `execute_tool ${command.name}`,
    {
      kind: SpanKind.INTERNAL,
      attributes: {
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': command.name,
        'maestro.argv0': argv[0]!,
      },
    },
    tracePath === undefined ? undefined : missionContext(tracePath),
  );
  let result: SandboxResult;
  try {
    result = await runSandboxed({
      ...run,
      argv,
      cwd: worktree,
      timeoutMs: command.timeoutMs,
      network: command.network ?? false,
      env: [...(options.env ?? DEFAULT_ENV), ...(command.env ?? [])],
      maxOutputBytes,
      tailBytes: maxOutputBytes,
    });
  } catch (err) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
    span.setAttribute('error.type', (err as Error).name);
    span.end();
    throw err;
  }
  span.setAttribute('maestro.exit_code', result.exitCode ?? -1);
  if (result.exitCode !== 0 || result.killed) {
    span.setStatus({ code: SpanStatusCode.ERROR });
    span.setAttribute('error.type', result.killed ?? `exit_${result.exitCode ?? result.signal}`);
  }
  span.end();
  const counts = parseTestCounts(result.stdoutTail, result.stderrTail);
  const stdout = tailOf(result.stdoutTail);
  const stderr = tailOf(result.stderrTail);
  return {
    ...result,
    stdoutTail: stdout.text(),
    stderrTail: stderr.text(),
    truncated: result.truncated || stdout.cut || stderr.cut,
    name: command.name,
    ok: result.exitCode === 0 && result.killed === undefined,
    ...(counts ? { counts } : {}),
  };
}

function tailOf(text: string): Tail {
  const tail = new Tail(DEFAULT_TAIL_BYTES);
  tail.push(Buffer.from(text, 'utf8'));
  return tail;
}
