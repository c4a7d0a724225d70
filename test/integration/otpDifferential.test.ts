/**
 * Maestro's supervisor against real Erlang/OTP: each scenario runs on both, and the ordered
 * traces (starts, stops, failed starts, OTP's reports, call answers) and the supervisor's fate
 * must be the same. Needs `erl` and `erlc` (Debian's erlang-base; `.ci/run` installs it).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { runOnMaestro } from './otp/maestroRun.js';
import { runOnOtp } from './otp/otpRun.js';
import { scenarios } from './otp/scenarios.js';
import { traceShape } from './otp/traceShape.js';

describe('supervision against real Erlang/OTP (differential)', () => {
  let otp: Map<string, string[]>;
  beforeAll(() => {
    otp = runOnOtp(scenarios);
  }, 90_000);

  it('should run every scenario on OTP', () => {
    expect([...otp.keys()]).toEqual(scenarios.map((s) => s.name));
    for (const lines of otp.values()) expect(lines.at(-1)).toMatch(/^fate /);
  });

  it.each(scenarios.map((s) => [s.name, s] as const))('%s', async (name, s) => {
    const expected = traceShape(s, otp.get(name)!);
    expect(expected.lifecycle.length).toBeGreaterThan(0);
    expect(traceShape(s, await runOnMaestro(s))).toEqual(expected);
  });
});
