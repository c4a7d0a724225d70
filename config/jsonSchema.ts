/**
 * JSON Schema export for config files, so editors can complete and check them. It describes the
 * input side (what a user writes: defaulted fields are optional and show their default), in
 * draft 2020-12. Refinements and transforms cannot be expressed in JSON Schema: their base type
 * is kept and the rule is left to the loader; a type with no JSON form becomes `{}` (anything).
 */
import { z } from 'zod';

export interface JsonSchemaOptions {
  /** `$id` of the document, e.g. `https://maestro.dev/schema/mission.json`. */
  readonly id?: string;
  /** `title` of the document. */
  readonly title?: string;
}

export type JsonSchema = Record<string, unknown>;

/** The JSON Schema of `schema`'s input. Never throws on defaults, unions, refinements or transforms. */
export function toJsonSchema(schema: z.ZodType, options: JsonSchemaOptions = {}): JsonSchema {
  const generated = z.toJSONSchema(schema, {
    io: 'input',
    target: 'draft-2020-12',
    unrepresentable: 'any',
  }) as JsonSchema;
  const { $schema, ...body } = generated;
  // the loader ignores a top-level `$schema` key (editors use it to find this schema), so a
  // strict top-level object must accept it too
  const properties = body['properties'];
  if (body['type'] === 'object' && isRecord(properties) && !('$schema' in properties)) {
    body['properties'] = { $schema: { type: 'string' }, ...properties };
  }
  const named = {
    ...(options.id === undefined ? {} : { $id: options.id }),
    ...(options.title === undefined ? {} : { title: options.title }),
  };
  // named first for key order, again last so the options win over a title from `.meta()`
  return { $schema, ...named, ...body, ...named };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
