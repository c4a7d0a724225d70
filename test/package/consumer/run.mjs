// Run by test/package/pack.test.ts in a project that installed Maestro's tarball: plain node, no tsx.
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pino } from 'pino';
import { setup } from 'xstate';
import {
  createSupervisor,
  geniusLoopMachine,
  loadMissionFile,
  makerVoteMachine,
  missionMachine,
  missionSchema,
  runMission,
  supervisorMachine,
} from 'maestro';
import { startTestTree } from 'maestro/testing';

const logger = pino({ level: 'silent' });
const stateDir = mkdtempSync(join(tmpdir(), 'maestro-consumer-'));

// A mission file that ships with the package, on its scripted providers.
const pkgDir = dirname(createRequire(import.meta.url).resolve('maestro/package.json'));
const hello = await loadMissionFile(join(pkgDir, 'examples/hello.yaml'));
const mission = (await runMission(hello, { stateDir, logger })).output;

// A mission defined in code.
const inCode = missionSchema.parse({
  name: 'ping',
  providers: { p: { kind: 'scripted', responses: ['pong'] } },
  agents: [{ id: 'a', provider: 'p' }],
  stages: [{ name: 'ask', prompt: 'ping', agents: ['a'] }],
});
const codeMission = (await runMission(inCode, { stateDir, logger })).output;

// A supervised tree of our own actors on a manual clock: a worker crashes and is restarted.
const worker = setup({}).createMachine({
  on: {
    crash: {
      actions: () => {
        throw new Error('boom');
      },
    },
  },
});
const tree = startTestTree({ children: [{ id: 'worker', start: { logic: worker } }] });
const before = tree.child('worker')?.sessionId;
tree.child('worker')?.send({ type: 'crash' });
tree.advance(0);
await new Promise((r) => setTimeout(r, 10));
const result = {
  mission: { status: mission.status, result: mission.result },
  codeMission: { status: codeMission.status, result: codeMission.result },
  tree: {
    restarts: tree.restarts('worker'),
    decisions: tree.decisions().map((d) => d.action),
    newIncarnation: tree.child('worker')?.sessionId !== before,
    running: tree.running(),
  },
  machines: [createSupervisor, supervisorMachine, missionMachine, makerVoteMachine].map(
    (x) => typeof x,
  ),
};
tree.stop();
if (typeof geniusLoopMachine !== 'object') throw new Error('no geniusLoopMachine');
console.log(JSON.stringify(result));
