// Type-checked by test/package/pack.test.ts (tsc --noEmit, nodenext) against the installed package.
import {
  ConfigError,
  createRuntime,
  createSupervisor,
  MaestroError,
  MemoryTransport,
  missionSchema,
  runMission,
  type ChildSpec,
  type MissionConfigInput,
  type MissionOutput,
  type StartContext,
  type SupervisorFlags,
  type Transport,
} from 'maestro';
import type { NatsTransportOptions } from 'maestro/nats';
import { ManualClock, startTestTree, type TestTree } from 'maestro/testing';
import { pino } from 'pino';
import { fromPromise } from 'xstate';

const flags: SupervisorFlags = { strategy: 'rest_for_one', intensity: 2, periodMs: 1000 };
// @ts-expect-error: not one of OTP's strategies
const wrong: SupervisorFlags = { strategy: 'one_for_none' };
const worker: ChildSpec = {
  id: 'worker',
  start: {
    logic: fromPromise(async () => 42),
    input: (ctx: StartContext) => ({ attempt: ctx.restarts }),
  },
  restart: 'transient',
};
const tree: TestTree = startTestTree({ flags, children: [worker], clock: new ManualClock() });
tree.advance(10);
const sup = createSupervisor({ name: 'root', children: [worker], runtime: createRuntime() });
sup.start();

const mission: MissionConfigInput = {
  name: 'typed',
  providers: { p: { kind: 'scripted', responses: ['ok'] } },
  agents: [{ id: 'a', provider: 'p' }],
  stages: [{ name: 's', prompt: 'go', agents: ['a'] }],
};
export async function status(): Promise<MissionOutput['status']> {
  const { output } = await runMission(missionSchema.parse(mission), {
    stateDir: '.maestro',
    logger: pino(),
  });
  return output.status;
}

const transport: Transport = new MemoryTransport();
const natsOptions: Partial<NatsTransportOptions> = {};
const isUserError = (e: unknown): boolean => e instanceof ConfigError || e instanceof MaestroError;
export { isUserError, natsOptions, transport, wrong };
