/**
 * The step task kinds a MAKER stage can name (`task: { kind: hanoi | json | …, ... }`). The
 * built-ins register themselves here the way user code adds its own, with
 * `registerStepTask(kind, { schema, create })`: the schema joins the config's, `create` makes the
 * task from the stage's parsed `task` config.
 */
import type { z } from 'zod';
import { builtinStepTaskSchema, registerStepTaskConfig } from '../../config/maker.js';
import type { StepTaskConfig } from '../../config/maker.js';
import { UserError } from '../../kernel/errors.js';
import { hanoiTask } from './hanoi.js';
import { createJsonTask } from './jsonTask.js';
import type { StepTask } from './stepTask.js';

export interface StepTaskDefinition<C, S = unknown> {
  /**
   * The fields of the stage's `task` besides `kind`, as a zod object (a strict one refuses typos).
   * @default any fields, kept as written
   */
  schema?: z.ZodObject;
  /** The task for one stage, from its `task` config (defaults applied); made once per stage. */
  create(config: C): StepTask<S, C>;
}

type Create = (config: never) => StepTask<never, never>;
const tasks = new Map<string, Create>();

/**
 * Adds step task kind `kind`: MAKER stages may name it from now on. Register before a mission
 * is parsed. Throws for a kind registered twice (the built-ins are registered when Maestro loads).
 */
export function registerStepTask<K extends string, S, F extends z.ZodObject = z.ZodObject>(
  kind: K,
  definition: StepTaskDefinition<{ kind: K } & z.output<F>, S> & { schema?: F },
): void {
  if (tasks.has(kind)) throw new Error(`step task kind '${kind}' is already registered`);
  registerStepTaskConfig(kind, definition.schema);
  tasks.set(kind, definition.create as Create);
}

/** The task a MAKER stage's `task` config names. Throws a `UserError` for a kind not registered here. */
export function stepTaskFor(config: StepTaskConfig): StepTask<unknown, StepTaskConfig> {
  const create = tasks.get(config.kind) as
    | ((config: StepTaskConfig) => StepTask<unknown, StepTaskConfig>)
    | undefined;
  if (create === undefined) {
    const known = [...tasks.keys()].map((k) => `'${k}'`).join(' | ');
    throw new UserError(
      `step task kind '${config.kind}' is not registered here: expected one of ${known}`,
    );
  }
  return create(config);
}

const [hanoiSchema, jsonSchema] = builtinStepTaskSchema.options;
registerStepTask('hanoi', {
  schema: hanoiSchema,
  create: () => hanoiTask,
});
registerStepTask('json', {
  schema: jsonSchema,
  create: (config) => createJsonTask(config),
});
