/**
 * The config side of Maestro's registries: what a mission file may name beyond the built-ins.
 * A `KindRegistry` keeps the schemas of a discriminated config (a provider's `kind`, a MAKER
 * task's `kind`): the built-ins, fixed here so the JSON Schema export and the static types
 * describe exactly them, and the kinds user code registers (`registerProviderKind`,
 * `registerStepTask` in actors/). A `NameRegistry` keeps names only (red-flaggers, oracles): the
 * config checks that a name exists, the actor that runs it holds the function.
 *
 * Registering happens at startup, before a mission is parsed; parsing reads the registry at parse
 * time, so the order in which modules load does not matter.
 */
import { z } from 'zod';

/** A kind's schema: a strict object with a literal `kind`, like the built-ins. */
export type KindSchema = z.ZodObject;

export class KindRegistry {
  private readonly registered = new Map<string, KindSchema>();
  private union: z.ZodType | undefined;

  /**
   * @param what what a kind is a kind of, for messages: `provider kind`.
   * @param builtins the kinds every mission may name, as one discriminated union on `kind`.
   */
  constructor(
    readonly what: string,
    private readonly builtins: z.ZodDiscriminatedUnion<readonly KindSchema[], 'kind'>,
  ) {}

  /** The built-in kinds, then the registered ones, in registration order. */
  kinds(): string[] {
    return [...this.builtins.options.map(kindOf), ...this.registered.keys()];
  }

  /** Whether `kind` is a built-in one (whose schema is the built-in's). */
  isBuiltin(kind: string): boolean {
    return this.builtins.options.some((o) => kindOf(o) === kind);
  }

  /**
   * Adds `kind`. A built-in kind may be registered only with its own schema (what the built-ins
   * do); any other kind once. `fields` are the kind's own fields (`kind` is added); `common`
   * what every kind of this registry has (a provider's call caps), unless `fields` says otherwise.
   */
  register(kind: string, fields: KindSchema | undefined, common: z.ZodRawShape = {}): KindSchema {
    const builtin = this.builtins.options.find((o) => kindOf(o) === kind);
    if (builtin !== undefined) {
      if (fields !== undefined && fields !== builtin)
        throw new Error(`${this.what} '${kind}' is built in: its schema cannot be replaced`);
      return builtin;
    }
    if (!/^[A-Za-z0-9_-]+$/.test(kind))
      throw new Error(`${this.what} '${kind}': expected letters, digits, _ or - only`);
    if (this.registered.has(kind)) throw new Error(`${this.what} '${kind}' is already registered`);
    const own = fields ?? z.looseObject({});
    const schema = own.extend({ ...common, ...own.shape, kind: z.literal(kind) });
    this.registered.set(kind, schema);
    this.union = undefined;
    return schema;
  }

  /**
   * The schema a config names a kind with: the built-in union, with the registered kinds added at
   * parse time. Issues are the union's own, so an unknown kind reads `expected kind to be one of
   * 'openai' | … | 'echo'` and a registered kind's field errors name their paths.
   *
   * zod has no open union, so the schema is a clone of the built-in union (its JSON Schema and
   * types are the built-ins') whose parse runs the current union instead; a zod method that
   * clones it (`.meta()`, `.describe()`) would lose that, so wrap it (`.optional()`), never clone.
   */
  schema(): z.ZodType {
    const open = this.builtins.clone();
    const run: typeof open._zod.run = (payload, ctx) => this.current()._zod.run(payload, ctx);
    open._zod.parse = run;
    open._zod.run = run;
    return open;
  }

  private current(): z.ZodType {
    if (this.registered.size === 0) return this.builtins;
    const options = [...this.builtins.options, ...this.registered.values()];
    this.union ??= z.discriminatedUnion('kind', options as [KindSchema, ...KindSchema[]]);
    return this.union;
  }
}

/** Names user code registers (red-flaggers, oracles), and the schema of a field that names one. */
export class NameRegistry {
  private readonly names = new Set<string>();

  /** @param what what a name names, for messages: `red-flagger`. */
  constructor(readonly what: string) {}

  register(name: string): void {
    if (name === '') throw new Error(`${this.what} name: expected a non-empty string`);
    if (this.names.has(name)) throw new Error(`${this.what} '${name}' is already registered`);
    this.names.add(name);
  }

  has(name: string): boolean {
    return this.names.has(name);
  }

  list(): string[] {
    return [...this.names];
  }

  /** A string that must name a registered entry, checked when a config is parsed. */
  schema(): z.ZodString {
    return z.string().superRefine((name, ctx) => {
      if (this.names.has(name)) return;
      const known = this.list();
      ctx.addIssue({
        code: 'custom',
        message:
          known.length === 0
            ? `unknown ${this.what} '${name}': none is registered`
            : `unknown ${this.what} '${name}': expected one of ${known.map((n) => `'${n}'`).join(' | ')}`,
      });
    });
  }
}

function kindOf(option: KindSchema): string {
  return String((option.shape['kind'] as z.ZodLiteral).value);
}
