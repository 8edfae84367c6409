import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gbnfToRegExp } from './gbnf-test-matcher.js';
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

  // Regression (#14): unbounded numbers allowed a three-digit exponent (`26779e418` parsed to
  // Infinity and was returned with finish reason stop) and integers 16 digits (past 2^53).
  it('lets an unbounded number parse only to a finite value and an unbounded integer only to a safe integer', () => {
    const matcher = (schema: object): RegExp => {
      const rules = Object.fromEntries(schemaToGbnf(schema).split('\n').map((line) => line.split(' ::= ') as [string, string]));
      return gbnfToRegExp('root', rules);
    };
    const integer = matcher({ type: 'integer' });
    expect(['0', '-12', '999999999999999', '-999999999999999'].every((text) => integer.test(text))).toBe(true);
    expect(['9007199254740992', '-1000000000000000', '10000000000000000', '1e3', '007'].some((text) => integer.test(text))).toBe(false);
    const number = matcher({ type: 'number' });
    expect(['0', '-0.25', '12', '1.5e99', '9999999999999999.999999999999999E+99', '2e-99'].every((text) => number.test(text))).toBe(true);
    expect(['26779e418', '1e309', '1e100'].some((text) => number.test(text))).toBe(false);
    fc.assert(
      fc.property(fc.stringMatching(integer), (text) => Number.isSafeInteger(JSON.parse(text))),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.stringMatching(number), (text) => Number.isFinite(JSON.parse(text))),
      { numRuns: 300 },
    );
  });
});
