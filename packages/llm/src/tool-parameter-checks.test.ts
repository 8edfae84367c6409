import { describe, expect, it } from 'vitest';
import { checkToolCallArguments, checkToolParameters } from './tool-parameter-checks.js';

const weather = {
  name: 'get_weather',
  parameters: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' }, when: { type: 'string', format: 'date' } }, required: ['city'] },
};

describe('checkToolParameters', () => {
  it('accepts what the function-calling grammar enforces and returns a check per tool', () => {
    const checks = checkToolParameters([weather, { name: 'ping' }]);
    expect([...checks.keys()]).toEqual(['get_weather']);
  });

  it.each([
    [{ type: 'object', properties: { days: { type: 'integer', minimum: 1, maximum: 7 } } }, 'minimum', '/properties/days/minimum'],
    [{ type: 'object', properties: { list: { type: 'array', items: { type: 'string', pattern: '^a' } } } }, 'pattern', '/properties/list/items/pattern'],
    [{ type: 'object', properties: { mail: { type: 'string', format: 'email' } } }, 'format', '/properties/mail/format'],
    [{ $defs: { n: { type: 'number', multipleOf: 2 } }, type: 'object' }, 'multipleOf', '/$defs/n/multipleOf'],
  ])('refuses strict %j: unsupported-schema naming %s at %s on tools[1].parameters', (parameters, keyword, path) => {
    expect(() => checkToolParameters([weather, { name: 'other', parameters }])).not.toThrow();
    expect(() => checkToolParameters([weather, { name: 'other', parameters, strict: true }])).toThrow(
      expect.objectContaining({ code: 'unsupported-schema', details: { param: 'tools[1].parameters', keyword, path } }),
    );
  });
});

describe('checkToolCallArguments', () => {
  it('warns about a best-effort keyword a non-strict call missed, and returns the call', () => {
    const rate = { name: 'rate', parameters: { type: 'object', properties: { stars: { type: 'integer', maximum: 5 } } } };
    const logged: string[] = [];
    const log = (level: string, message: string): void => {
      logged.push(`${level}: ${message}`);
    };
    expect(() => checkToolCallArguments([{ id: 'call_1', name: 'rate', arguments: '{"stars":9}' }], checkToolParameters([rate]), log)).not.toThrow();
    expect(logged).toEqual([expect.stringMatching(/^warn: tool call rate arguments miss a best-effort constraint/) as unknown]);
  });

  it('passes matching arguments and throws output-invalid (logged) for a mismatch of a strict tool', () => {
    const checks = checkToolParameters([{ ...weather, strict: true }]);
    const logged: string[] = [];
    const log = (_level: string, message: string): void => {
      logged.push(message);
    };
    expect(() => checkToolCallArguments([{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Oslo","days":3}' }], checks, log)).not.toThrow();
    expect(() => checkToolCallArguments([{ id: 'call_2', name: 'get_weather', arguments: '{"days":3}' }], checks, log)).toThrow(
      expect.objectContaining({ code: 'output-invalid' }),
    );
    expect(logged).toHaveLength(1);
  });
});
