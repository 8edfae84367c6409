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
  ])('refuses %j: unsupported-schema naming %s at %s on tools[1].parameters', (parameters, keyword, path) => {
    expect(() => checkToolParameters([weather, { name: 'other', parameters }])).toThrow(
      expect.objectContaining({ code: 'unsupported-schema', details: { param: 'tools[1].parameters', keyword, path } }),
    );
  });
});

describe('checkToolCallArguments', () => {
  it('passes matching arguments and throws output-invalid (logged) for a mismatch', () => {
    const checks = checkToolParameters([weather]);
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
