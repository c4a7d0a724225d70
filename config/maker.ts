/**
 * A MAKER stage: a step-by-step task whose every step is decided by first-to-ahead-by-k voting
 * among samples of one agent, with red-flagging. `k: auto` takes k from the calibrator, given a
 * per-sample error rate measured in a calibration run (or successes out of trials).
 */
import { z } from 'zod';
import { KindRegistry, NameRegistry } from './kindRegistry.js';

const idSchema = z.string().regex(/^[A-Za-z0-9_-]+$/, 'expected letters, digits, _ or - only');

/** The built-in step task kinds: what the JSON Schema export describes. */
export const builtinStepTaskSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('hanoi'),
    /** Towers of Hanoi with this many disks: 2^disks - 1 steps. */
    disks: z.int().min(1).max(30),
  }),
  z.strictObject({
    kind: z.literal('json'),
    /** Any JSON value: the state at step 0. */
    initialState: z.json(),
    /** `{{state}}` (canonical JSON), `{{previous}}` (the last chosen answer) and `{{step}}` are replaced. */
    prompt: z.string().min(1),
    /** The task is done when the state equals this (or when a chosen answer says done). */
    goal: z.json().optional(),
  }),
]);
export type BuiltinStepTaskConfig = z.output<typeof builtinStepTaskSchema>;

/**
 * The step task kinds user code registers (`registerStepTask`), each kind → its own fields.
 * Empty here; augment it to type a kind's config in `defineMission`:
 * `declare module 'maestro' { interface StepTaskKinds { lines: { count: number } } }`.
 */
// biome-ignore lint/suspicious/noEmptyInterface: augmented by user code (declaration merging)
export interface StepTaskKinds {}

type RegisteredStepTask = {
  [K in keyof StepTaskKinds & string]: { kind: K } & StepTaskKinds[K];
}[keyof StepTaskKinds & string];

export type StepTaskConfig = BuiltinStepTaskConfig | RegisteredStepTask;
export type StepTaskConfigInput = z.input<typeof builtinStepTaskSchema> | RegisteredStepTask;

/** The step task kinds a MAKER stage may name: the built-ins, then the registered ones. */
export const stepTaskKindRegistry = new KindRegistry('step task kind', builtinStepTaskSchema);

/** A MAKER stage's `task`: a built-in kind or a registered one, chosen by `kind`. */
export const stepTaskSchema = stepTaskKindRegistry.schema() as z.ZodType<
  StepTaskConfig,
  StepTaskConfigInput
>;

/**
 * Lets a MAKER stage name task kind `kind`, whose fields `fields` validates (`kind` is added;
 * without `fields`, any fields are kept as written). `registerStepTask` (actors/tasks) calls it
 * with the task itself: use that one.
 */
export function registerStepTaskConfig(kind: string, fields?: z.ZodObject): z.ZodObject {
  return stepTaskKindRegistry.register(kind, fields);
}

/** The red-flaggers user code registers (`registerRedFlagger`), by name. */
export const redFlaggerNames = new NameRegistry('red-flagger');
/** The oracles user code registers (`registerOracle`), by name. */
export const oracleNames = new NameRegistry('oracle');

export const calibrationSchema = z
  .strictObject({
    /** Per-sample error rate measured beforehand (1 - p). */
    errorRate: z.number().min(0).lt(1).optional(),
    /** Or the calibration run's counts: k is then taken from the lower end of p's 95% interval. */
    successes: z.int().nonnegative().optional(),
    trials: z.int().positive().optional(),
    /** Probability that the whole task ends with no wrong step. @default 0.95 */
    target: z.number().gt(0).lt(1).default(0.95),
  })
  .refine(
    (c) => (c.errorRate !== undefined) !== (c.successes !== undefined && c.trials !== undefined),
    {
      message: 'give either errorRate, or successes and trials',
    },
  );

export const redFlagSchema = z.strictObject({
  /** Longest response accepted, in characters. */
  maxChars: z.int().positive().optional(),
  /** Longest response accepted, in completion tokens. */
  maxTokens: z.int().positive().optional(),
  /** Regular expressions; a response matching any is discarded. */
  patterns: z.array(z.string()).default([]),
  /** Registered red-flaggers (`registerRedFlagger`) run after the checks above, in this order. */
  flaggers: z.array(redFlaggerNames.schema()).optional(),
  /** A registered oracle (`registerOracle`): a parsed answer it refuses is discarded. */
  oracle: oracleNames.schema().optional(),
});

export const makerSchema = z
  .strictObject({
    task: stepTaskSchema,
    /** The agent whose samples vote. */
    agent: idSchema,
    /** Votes an answer needs ahead of every other, or `auto` (from `calibration`). @default 'auto' */
    k: z.union([z.int().positive(), z.literal('auto')]).default('auto'),
    calibration: calibrationSchema.optional(),
    /** Samples drawn in parallel when a vote begins. @default k */
    firstBatch: z.int().positive().optional(),
    /** Samples drawn at a time afterwards. @default 1 */
    batch: z.int().positive().default(1),
    /** A vote with no winner after this many samples is `exhausted`. @default 50 */
    maxSamples: z.int().positive().default(50),
    /** The paper's: 0 for a vote's first sample, 0.1 for the others. */
    temperatures: z
      .strictObject({
        first: z.number().min(0).max(2).default(0),
        rest: z.number().min(0).max(2).default(0.1),
      })
      .default({ first: 0, rest: 0.1 }),
    /** @default { patterns: [] } */
    redFlag: redFlagSchema.default({ patterns: [] }),
    /** Refuse to go past this many steps. @default twice the task's length when it is known (Hanoi: 2 × (2^n − 1)), else none */
    maxSteps: z.int().positive().optional(),
    /** Write a snapshot and compact the event log every this many steps. @default 10000 */
    snapshotEvery: z.int().positive().default(10_000),
  })
  .refine((m) => m.k !== 'auto' || m.calibration !== undefined, {
    path: ['calibration'],
    message: 'k: auto needs a calibration (errorRate, or successes and trials)',
  });
export type MakerConfig = z.output<typeof makerSchema>;
