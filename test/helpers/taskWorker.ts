/**
 * A plan task for tests: a worker that works `ms` on the (manual) clock, then answers
 * `<name>(<inputs' outputs>)` or fails, logging `start:`/`stop:` as it lives; and the task spec
 * the orchestrator builds around it (a small supervisor running it as its one agent).
 */
import { fromCallback, setup } from 'xstate';
import type { GraphTask } from '../../actors/taskGraph.js';
import type { TaskInput } from '../../machines/taskDag.js';
import {
  supervisorMachine,
  type BudgetNode,
  type ChildSpec,
  type StartContext,
  type SupervisorInput,
  type SupervisorOutput,
} from '../../supervisors/index.js';

/** How a test task behaves: how long it works (ms on the manual clock), and whether it fails or spends. */
export interface Behaviour {
  ms: number;
  fail?: string;
  /** Tokens charged to its budget node when it ends; it fails if that spends the budget. */
  spend?: number;
}

interface WorkInput extends Behaviour {
  name: string;
  log: string[];
  inputs: TaskInput[];
  budget?: BudgetNode;
}

const lifetime = fromCallback<{ type: string }, { name: string; log: string[] }>(({ input }) => {
  input.log.push(`start:${input.name}`);
  return () => input.log.push(`stop:${input.name}`);
});

/** Works for `ms`, then answers `<name>(<inputs' outputs>)`, or fails; a shutdown ends it at once. */
export const taskWork = setup({
  types: { input: {} as WorkInput, context: {} as WorkInput },
  actors: { lifetime },
  delays: { work: ({ context }) => context.ms },
}).createMachine({
  context: ({ input }) => input,
  invoke: { src: 'lifetime', input: ({ context }) => ({ name: context.name, log: context.log }) },
  initial: 'working',
  states: {
    working: {
      after: {
        work: {
          target: 'done',
          actions: ({ context }) => {
            if (context.fail) throw new Error(context.fail);
            if (context.spend) {
              context.budget!.charge({ tokens: context.spend });
              context.budget!.check();
            }
          },
        },
      },
      on: { 'maestro.shutdown': 'done' },
    },
    done: { type: 'final' },
  },
  output: ({ context }) => `${context.name}(${context.inputs.map((i) => i.output).join(',')})`,
});

/** As the orchestrator builds it: a small supervisor running the task's one agent, ending with it. */
export function taskSpecOf(log: string[], behaviour: Record<string, Behaviour>) {
  return (task: GraphTask, inputs: TaskInput[]): ChildSpec => ({
    id: 'replaced',
    type: 'supervisor',
    start: {
      logic: supervisorMachine,
      input: (ctx: StartContext): SupervisorInput => ({
        name: ctx.path,
        runtime: ctx.runtime,
        budget: ctx.budget,
        flags: { intensity: 0, autoShutdown: 'any_significant' },
        children: [
          {
            id: 'agent',
            restart: 'transient',
            significant: true,
            start: {
              logic: taskWork,
              input: (c: StartContext) => ({
                name: task.id,
                log,
                inputs,
                budget: c.budget,
                ...behaviour[task.id]!,
              }),
            },
          },
        ],
      }),
    },
  });
}

export const taskOutputOf = (o: unknown) => (o as SupervisorOutput).results['agent'] as string;
