import { describe, expect, it } from 'vitest';
import { schemaToGbnf, UnsupportedSchemaError } from './schema-to-gbnf.js';

describe('schemaToGbnf', () => {
  it('writes a root rule and ignores annotations', () => {
    const gbnf = schemaToGbnf({ $schema: 'https://json-schema.org/draft/2020-12/schema', title: 'x', description: 'y', type: 'object', properties: { a: { type: 'boolean', default: true } }, required: ['a'] });
    expect(gbnf).toMatch(/^root ::= obj-\d+$/m);
    expect(gbnf).toContain('"\\"a\\""');
  });

  it('makes optional properties skippable, in order, with commas only between written ones', () => {
    const gbnf = schemaToGbnf({ type: 'object', properties: { a: { type: 'null' }, b: { type: 'null' } }, required: ['b'] });
    // props for a: either "a" then (comma) "b", or straight to the rule that writes "b" first.
    expect(gbnf.match(/^props-\d+ ::= .*\|.*$/m)).not.toBeNull();
  });

  it.each([
    [{ type: 'object', properties: { n: { type: 'integer', multipleOf: 2 } } }, 'multipleOf', '/properties/n/multipleOf'],
    [{ $ref: 'https://example.com/schema' }, '$ref', '/$ref'],
    [{ type: 'object', required: ['x'], properties: {} }, 'required', '/required'],
    [{ type: 'string', pattern: '^a$', maxLength: 3 }, 'maxLength', ''],
    [{ type: 'integer', minimum: 5, maximum: 4 }, 'minimum', ''],
    [false, 'false', ''],
    [{ type: 'object', properties: { 'a/b': { type: 'string', format: 'hostname' } } }, 'format', '/properties/a~1b/format'],
  ])('refuses %j naming %s at %s', (schema, keyword, path) => {
    let error: unknown;
    try {
      schemaToGbnf(schema);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UnsupportedSchemaError);
    expect(error).toMatchObject({ keyword, path });
  });
});
