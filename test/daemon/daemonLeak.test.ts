import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('a daemon that runs for months: finished missions are collected', () => {
  it("should let a full GC collect every finished mission's root actors (no reference left behind)", () => {
    // In a process of its own, for --expose-gc (test/fixtures/leakProbe.ts). Either reference
    // found by the soak run, put back, keeps all of them: the inspector's set of roots, or an
    // abort listener on the daemon's long-lived suspend signal.
    const out = execFileSync(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', 'test/fixtures/leakProbe.ts', '30'],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(JSON.parse(out.trim().split('\n').at(-1)!)).toEqual({
      missions: 30,
      roots: 30,
      alive: 0,
    });
  }, 90_000);
});
