/** The sandbox's front door: confined runs (bubblewrap), verification, and test counts. */
export {
  CommandNotArgvError,
  SandboxOptionError,
  SandboxSetupError,
  SandboxUnavailableError,
} from './errors.js';
export { probeSandbox, type ProbeOptions } from './probe.js';
export { checkArgv, defaultHide, runSandboxed } from './sandbox.js';
export { parseTestCounts, type TestCounts } from './testCounts.js';
export {
  DEFAULT_BWRAP_PATH,
  DEFAULT_ENV,
  DEFAULT_MAX_OUTPUT_BYTES,
  DEFAULT_MEMORY_BYTES,
  DEFAULT_PRLIMIT_PATH,
  DEFAULT_TAIL_BYTES,
  DEFAULT_TIMEOUT_MS,
  DEFAULT_TMPFS_BYTES,
  type KillReason,
  type SandboxResult,
  type SandboxRun,
} from './types.js';
export { verify, type VerifyCommand, type VerifyOptions, type VerifyResult } from './verify.js';
