/**
 * Runs the differential scenarios on real Erlang/OTP: compiles `diff_*.erl` into a temporary
 * folder, writes the scenarios as Erlang terms, runs them all in one VM and parses the traces.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DiffScenario } from './scenarios.js';

const here = dirname(fileURLToPath(import.meta.url));

/** JSON as an Erlang term: objects become maps with atom keys, strings binaries. */
export function toErlang(v: unknown): string {
  if (typeof v === 'string') return `<<"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}">>`;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(toErlang).join(', ')}]`;
  if (v && typeof v === 'object') {
    const fields = Object.entries(v).filter(([, x]) => x !== undefined);
    return `#{${fields.map(([k, x]) => `'${k}' => ${toErlang(x)}`).join(', ')}}`;
  }
  throw new Error(`cannot write ${String(v)} as an Erlang term`);
}

export function runOnOtp(scenarios: DiffScenario[]): Map<string, string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'maestro-otp-'));
  try {
    const modules = ['diff_worker', 'diff_sup', 'diff_driver'].map((m) => join(here, `${m}.erl`));
    execFileSync('erlc', ['-o', dir, ...modules], { stdio: ['ignore', 'pipe', 'pipe'] });
    const file = join(dir, 'scenarios.eterm');
    writeFileSync(file, `${toErlang(scenarios)}.\n`);
    const out = execFileSync(
      'erl',
      ['-noshell', '-pa', dir, '-run', 'diff_driver', 'main', file, '-s', 'init', 'stop'],
      {
        cwd: dir,
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    const traces = new Map<string, string[]>();
    let current: string[] | undefined;
    for (const line of out.split('\n')) {
      if (line.startsWith('SCENARIO ')) traces.set(line.slice(9), (current = []));
      else if (line === 'END') current = undefined;
      else if (current) current.push(line);
    }
    return traces;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
