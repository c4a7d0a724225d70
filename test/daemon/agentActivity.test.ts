import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeStatus } from '../../cli/status.js';
import type { MissionStatus } from '../../daemon/daemonApi.js';
import { call, daemonsPerTest, submit, until } from '../helpers/daemonServer.js';
import { tempDir } from '../helpers/missions.js';

const serve = daemonsPerTest();
const crashYaml = readFileSync('examples/crash.yaml', 'utf8');

describe('daemon status: what each agent did', () => {
  it("should give each agent's calls, failures, restarts and last error, live and after a restart", async () => {
    const stateDir = tempDir();
    const first = await serve({ stateDir });
    const id = await submit(first, crashYaml);
    const live = await until(first, id, 'succeeded');
    const researcher = {
      path: `mission/${id}/stage/research/agent/researcher`,
      agent: 'researcher',
      calls: 2,
      failures: 1,
      restarts: 1,
      lastError: "provider 'flaky': http 500: connection reset by peer",
    };
    expect(live.agents).toContainEqual(researcher);
    expect(live.agents.find((a: { agent: string }) => a.agent === 'summarizer')).toMatchObject({
      calls: 1,
      failures: 0,
      restarts: 0,
    });
    await first.close();

    // From the log alone: the same counts.
    const second = await serve({ stateDir });
    const restored = (await call(second, 'GET', `/api/missions/${id}`)).json;
    expect(restored.agents).toEqual(live.agents);
    expect(describeStatus(restored as MissionStatus)).toContain(
      `  agent:     researcher (research): 2 call(s), 1 failed, 1 restart(s); last error: provider 'flaky': http 500: connection reset by peer`,
    );
  });
});
