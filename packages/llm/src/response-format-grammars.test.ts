import { describe, expect, it } from 'vitest';
import { compileSchemaCheck } from './json-schema-grammar/schema-validator.js';
import { checkStructuredAnswer, type PreparedFormat } from './response-format-grammars.js';

describe('checkStructuredAnswer', () => {
  const logged: string[] = [];
  const log = (_level: string, message: string): void => {
    logged.push(message);
  };
  const prepared = (schema: object): PreparedFormat => ({ grammar: undefined as never, gbnf: '', check: compileSchemaCheck(schema) });
  const age = prepared({ type: 'object', properties: { age: { type: 'integer', maximum: 150 } }, required: ['age'] });

  it('passes an answer that parses and matches, and anything without a format', () => {
    expect(() => checkStructuredAnswer('{"age": 30}', age, log)).not.toThrow();
    expect(() => checkStructuredAnswer('{"age": [', undefined, log)).not.toThrow();
  });

  it('throws output-invalid, with Ajv\'s errors, and logs, for cut JSON or a schema mismatch', () => {
    expect(() => checkStructuredAnswer('{"age": [', age, log)).toThrow(expect.objectContaining({ code: 'output-invalid' }));
    expect(() => checkStructuredAnswer('{"age": 90006}', age, log)).toThrow(
      expect.objectContaining({ code: 'output-invalid', details: expect.objectContaining({ errors: ['/age must be <= 150'] }) as unknown }),
    );
    expect(logged).toHaveLength(2);
  });
});
