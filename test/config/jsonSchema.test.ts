import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { toJsonSchema } from '../../config/jsonSchema.js';

const Schema = z
  .strictObject({
    name: z.string(),
    retries: z.number().int().min(0).default(3),
    tags: z.array(z.string()).default([]),
    provider: z.discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('openai'), baseUrl: z.string() }),
      z.strictObject({ kind: z.literal('cli'), command: z.string() }),
    ]),
    ratio: z
      .number()
      .refine((n) => n > 0, 'must be positive')
      .optional(),
    length: z
      .string()
      .transform((s) => s.length)
      .optional(),
    when: z.date().optional(),
  })
  .refine((c) => c.name !== '', 'name must not be empty');

describe('toJsonSchema', () => {
  it('should describe the input of a strict object', () => {
    const json = toJsonSchema(Schema);
    expect(json).toMatchObject({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      required: ['name', 'provider'],
      additionalProperties: false,
    });
    expect(Object.keys(json['properties'] as object)).toEqual([
      '$schema',
      'name',
      'retries',
      'tags',
      'provider',
      'ratio',
      'length',
      'when',
    ]);
  });

  it('should show defaults, unions, refined and unrepresentable types', () => {
    const properties = toJsonSchema(Schema)['properties'] as Record<string, unknown>;
    expect(properties['retries']).toEqual({
      type: 'integer',
      minimum: 0,
      maximum: Number.MAX_SAFE_INTEGER,
      default: 3,
    });
    expect(properties['tags']).toEqual({ type: 'array', items: { type: 'string' }, default: [] });
    expect(properties['provider']).toEqual({
      oneOf: [
        {
          type: 'object',
          properties: { kind: { type: 'string', const: 'openai' }, baseUrl: { type: 'string' } },
          required: ['kind', 'baseUrl'],
          additionalProperties: false,
        },
        {
          type: 'object',
          properties: { kind: { type: 'string', const: 'cli' }, command: { type: 'string' } },
          required: ['kind', 'command'],
          additionalProperties: false,
        },
      ],
    });
    expect(properties['ratio']).toEqual({ type: 'number' });
    expect(properties['length']).toEqual({ type: 'string' });
    expect(properties['when']).toEqual({});
  });

  it('should accept the $schema key that editors use', () => {
    expect((toJsonSchema(Schema)['properties'] as Record<string, unknown>)['$schema']).toEqual({
      type: 'string',
    });
  });

  it('should add $id and title when given, overriding metadata', () => {
    const json = toJsonSchema(Schema.meta({ title: 'old' }), {
      id: 'https://maestro.dev/schema/test.json',
      title: 'Test',
    });
    expect(Object.keys(json).slice(0, 3)).toEqual(['$schema', '$id', 'title']);
    expect(json).toMatchObject({ $id: 'https://maestro.dev/schema/test.json', title: 'Test' });
    expect(toJsonSchema(Schema)).not.toHaveProperty('$id');
    expect(toJsonSchema(Schema)).not.toHaveProperty('title');
  });

  it('should leave a non-object schema alone', () => {
    expect(toJsonSchema(z.array(z.number()))).toEqual({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'array',
      items: { type: 'number' },
    });
  });
});
