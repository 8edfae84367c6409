import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LlmEngine, type ChatMessage, type LlmError } from '../src/index.js';
import { testModel } from './test-models.js';

const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (ajv: Ajv) => Ajv;
const ajv = addFormats(new Ajv({ strict: false }));
const ask: readonly ChatMessage[] = [{ role: 'user', content: 'Describe a person as JSON.' }];

// Every keyword OpenAI's structured outputs accept, alone and together; the first three are the
// issue's (#14): an age 0–150 came back as 90006, a 0–5 rating as -30, a 3-digit code as a sentence.
const schemas: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  'integer 0–150': { type: 'object', properties: { age: { type: 'integer', minimum: 0, maximum: 150 } }, required: ['age'], additionalProperties: false },
  'number 0–5': { type: 'object', properties: { rating: { type: 'number', minimum: 0, maximum: 5 } }, required: ['rating'], additionalProperties: false },
  'pattern ^[0-9]{3}$': { type: 'object', properties: { code: { type: 'string', pattern: '^[0-9]{3}$' } }, required: ['code'], additionalProperties: false },
  'exclusive bounds': {
    type: 'object',
    properties: { a: { type: 'integer', exclusiveMinimum: -3, exclusiveMaximum: 3 }, b: { type: 'number', exclusiveMinimum: 0, maximum: 1 } },
    required: ['a', 'b'],
    additionalProperties: false,
  },
  'format date': { type: 'object', properties: { day: { type: 'string', format: 'date' } }, required: ['day'], additionalProperties: false },
  'format date-time': { type: 'object', properties: { at: { type: 'string', format: 'date-time' } }, required: ['at'], additionalProperties: false },
  'format time': { type: 'object', properties: { time: { type: 'string', format: 'time' } }, required: ['time'], additionalProperties: false },
  'format uuid': { type: 'object', properties: { id: { type: 'string', format: 'uuid' } }, required: ['id'], additionalProperties: false },
  'format email': { type: 'object', properties: { mail: { type: 'string', format: 'email' } }, required: ['mail'], additionalProperties: false },
  'lengths, enum, const, anyOf': {
    type: 'object',
    properties: {
      name: { type: 'string', minLength: 2, maxLength: 8 },
      tags: { type: 'array', items: { type: 'string', enum: ['a', 'b'] }, minItems: 1, maxItems: 3 },
      kind: { const: 'person' },
      extra: { anyOf: [{ type: 'null' }, { type: 'integer', minimum: 10, maximum: 12 }] },
    },
    required: ['name', 'tags', 'kind', 'extra'],
    additionalProperties: false,
  },
  '$ref, $defs, nesting, optional properties': {
    type: 'object',
    $defs: { pet: { type: 'object', properties: { legs: { type: 'integer', minimum: 0, maximum: 4 }, nick: { type: 'string', maxLength: 5 } }, required: ['legs'] } },
    properties: { pets: { type: 'array', items: { $ref: '#/$defs/pet' }, maxItems: 2 }, owner: { type: ['string', 'null'] } },
    required: ['pets'],
    additionalProperties: false,
  },
};

describe('JSON schema output (stories260K-chat, sampled)', () => {
  let engine: LlmEngine;
  beforeAll(async () => {
    engine = await LlmEngine.load({ modelPath: testModel('stories260K-chat.gguf'), threads: 1, contextSize: 1024 });
  });
  afterAll(async () => {
    await engine?.dispose();
  });

  it.each(Object.keys(schemas))('every answer that ends "stop" satisfies the schema: %s', async (name) => {
    const schema = schemas[name] ?? {};
    const validate = ajv.compile(schema);
    let stops = 0;
    for (const seed of [1, 2, 3, 4]) {
      const result = await engine.chat({ messages: ask, maxTokens: 400, temperature: 1, seed, responseFormat: { type: 'json_schema', schema } });
      if (result.finishReason !== 'stop') continue;
      stops++;
      const value: unknown = JSON.parse(result.content ?? '');
      expect(validate(value), `${result.content} ${JSON.stringify(validate.errors)}`).toBe(true);
    }
    expect(stops).toBeGreaterThan(0);
  });

  it.each([
    [{ type: 'integer', multipleOf: 5 }, 'multipleOf', '/multipleOf'],
    [{ type: 'object', properties: { x: { oneOf: [{ type: 'string' }, { type: 'integer' }] } } }, 'oneOf', '/properties/x/oneOf'],
    [{ type: 'object', properties: { list: { type: 'array', items: { type: 'string', pattern: '^(?=a)b$' } } } }, 'pattern', '/properties/list/items/pattern'],
    [{ type: 'string', format: 'ipv6' }, 'format', '/format'],
    [{ type: 'number', minimum: 0.5 }, 'minimum', '/minimum'],
    [{ type: 'array', uniqueItems: true }, 'uniqueItems', '/uniqueItems'],
  ])('refuses %j with unsupported-schema naming %s at %s', async (schema, keyword, path) => {
    const error = (await engine.chat({ messages: ask, responseFormat: { type: 'json_schema', schema } }).catch((caught: unknown) => caught)) as LlmError;
    expect(error).toMatchObject({ code: 'unsupported-schema', details: { keyword, path, param: 'responseFormat.schema' } });
    expect(error.message).toContain(keyword);
  });

  it('refuses a malformed schema as invalid-request', async () => {
    const error = await engine.chat({ messages: ask, responseFormat: { type: 'json_schema', schema: { type: 'object', required: 'x' } } }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'invalid-request', details: { param: 'responseFormat.schema' } });
  });
});
