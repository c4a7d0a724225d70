/**
 * A worker for supervisor tests: logs `start:<name>` when it starts and `stop:<name>` when it
 * ends for any reason; `crash` makes it fail, `finish` makes it end normally, and
 * `maestro.shutdown` ends it unless it was told to ignore shutdowns.
 */
import { fromCallback, setup } from 'xstate';

export interface TestWorkerInput {
  name: string;
  log: string[];
  ignoreShutdown?: boolean;
}

const lifetime = fromCallback<{ type: string }, { name: string; log: string[] }>(({ input }) => {
  input.log.push(`start:${input.name}`);
  return () => input.log.push(`stop:${input.name}`);
});

export const testWorker = setup({
  types: { input: {} as TestWorkerInput, context: {} as TestWorkerInput },
  actors: { lifetime },
}).createMachine({
  context: ({ input }) => input,
  invoke: { src: 'lifetime', input: ({ context }) => ({ name: context.name, log: context.log }) },
  initial: 'running',
  states: {
    running: {
      on: {
        crash: {
          actions: ({ context }) => {
            throw new Error(`${context.name} crashed`);
          },
        },
        finish: 'done',
        'maestro.shutdown': { guard: ({ context }) => !context.ignoreShutdown, target: 'done' },
      },
    },
    done: { type: 'final' },
  },
  output: ({ context }) => `${context.name} done`,
});
