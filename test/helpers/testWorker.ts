/**
 * A worker for supervisor tests: logs `start:<name>` when it starts and `stop:<name>` when it
 * ends for any reason; `crash` makes it fail (with the event's `error` when given), `finish`
 * makes it end normally, `spend` charges its budget node and fails once the budget is spent, and
 * `maestro.shutdown` ends it unless it was told to ignore shutdowns. With `logShutdownRequests`
 * it also logs `asked:<name>` for each shutdown request, so a test can tell a polite stop from a
 * brutal kill.
 */
import { fromCallback, setup } from 'xstate';
import type { BudgetNode } from '../../supervisors/index.js';

export interface TestWorkerInput {
  name: string;
  log: string[];
  ignoreShutdown?: boolean;
  logShutdownRequests?: boolean;
  /** The node `spend` charges; pass `ctx.budget` from the child spec's input function. */
  budget?: BudgetNode;
}

export type TestWorkerEvent =
  | { type: 'crash'; error?: unknown }
  | { type: 'finish' }
  | { type: 'spend'; tokens: number }
  | { type: 'maestro.shutdown' };

const lifetime = fromCallback<{ type: string }, { name: string; log: string[] }>(({ input }) => {
  input.log.push(`start:${input.name}`);
  return () => input.log.push(`stop:${input.name}`);
});

export const testWorker = setup({
  types: {
    input: {} as TestWorkerInput,
    context: {} as TestWorkerInput,
    events: {} as TestWorkerEvent,
  },
  actors: { lifetime },
}).createMachine({
  context: ({ input }) => input,
  invoke: { src: 'lifetime', input: ({ context }) => ({ name: context.name, log: context.log }) },
  initial: 'running',
  states: {
    running: {
      on: {
        crash: {
          actions: ({ context, event }) => {
            throw event.error ?? new Error(`${context.name} crashed`);
          },
        },
        spend: {
          actions: ({ context, event }) => {
            if (!context.budget) throw new Error(`${context.name} has no budget node`);
            context.budget.charge({ tokens: event.tokens });
            context.budget.check();
          },
        },
        finish: 'done',
        'maestro.shutdown': [
          {
            guard: ({ context }) => !context.ignoreShutdown,
            target: 'done',
            actions: ({ context }) =>
              context.logShutdownRequests && context.log.push(`asked:${context.name}`),
          },
          {
            actions: ({ context }) =>
              context.logShutdownRequests && context.log.push(`asked:${context.name}`),
          },
        ],
      },
    },
    done: { type: 'final' },
  },
  output: ({ context }) => `${context.name} done`,
});
