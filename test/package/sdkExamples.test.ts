import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT } from './build.js';

const run = promisify(execFile);
/** An example as a reader runs it (`npx tsx examples/sdk/<name>.ts`), from the sources. */
const example = (name: string) =>
  run(process.execPath, ['--import', 'tsx', `examples/sdk/${name}.ts`], { cwd: ROOT });

describe('examples/sdk (programs that use Maestro from TypeScript)', () => {
  it('should restart the crashed worker of supervise.ts and stop once it is done', async () => {
    const { stdout } = await example('supervise');
    expect(stdout.split('\n')).toEqual([
      'worker: started, attempt 1',
      'worker: crashing',
      'supervisor: restart (the upstream service is down)',
      'worker: started, attempt 2',
      'supervisor: no_restart (normal)',
      'supervisor: shutdown (any_significant)',
      'supervisor: stopped (auto_shutdown), worker said: done on attempt 2',
      '',
    ]);
  });

  it('should run the mission that mission.ts defines in code and print its result', async () => {
    const { stdout } = await example('mission');
    expect(stdout).toContain('mission sdk-haiku: succeeded, 2 stages\nChildren fall and rise /\n');
    expect(stdout).toMatch(/\nevents: .*missions\/sdk-haiku-.*\.jsonl\n$/);
  });
});
