/**
 * Maestro's supervisor over your own XState actors, no mission involved: a worker that crashes
 * on its first run is restarted by its supervisor (OTP's one_for_one), finishes on the second,
 * and, being significant, shuts the supervisor down with it (autoShutdown: any_significant).
 *
 *   npx tsx examples/sdk/supervise.ts
 */
import { fromPromise, toPromise } from 'xstate';
import {
  createRuntime,
  createSupervisor,
  type ChildSpec,
  type StartContext,
  type SupervisorOutput,
} from '../../index.js';

/** Any XState actor logic will do: a promise that fails the first time, as a flaky call would. */
const flakyWorker = fromPromise<string, { attempt: number }>(async ({ input }) => {
  console.log(`worker: started, attempt ${input.attempt}`);
  await new Promise((r) => setTimeout(r, 20));
  if (input.attempt === 1) {
    console.log('worker: crashing');
    throw new Error('the upstream service is down');
  }
  return `done on attempt ${input.attempt}`;
});

const worker: ChildSpec = {
  id: 'worker',
  // A function input is called on every (re)start, with how many restarts came before.
  start: { logic: flakyWorker, input: (ctx: StartContext) => ({ attempt: ctx.restarts + 1 }) },
  restart: 'transient', // restarted after a crash, not after it finishes
  significant: true,
};

const supervisor = createSupervisor({
  name: 'example',
  flags: { strategy: 'one_for_one', intensity: 3, periodMs: 5000, autoShutdown: 'any_significant' },
  children: [worker],
  runtime: createRuntime({
    // Every supervisor decision, with OTP's keys (a mission writes these to its event log).
    events: {
      append: (e) => {
        if (e.type === 'supervisor.decision') console.log(`supervisor: ${e.action} (${e.reason})`);
      },
    },
  }),
});
supervisor.start();
const output = (await toPromise(supervisor)) as SupervisorOutput;
console.log(
  `supervisor: stopped (${output.reason}), worker said: ${String(output.results.worker)}`,
);
