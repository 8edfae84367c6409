import { describe, expect, it } from 'vitest';
import { checkStructuredAnswer } from './structured-answer.js';

describe('checkStructuredAnswer', () => {
  const logged: string[] = [];
  const log = (_level: string, message: string): void => {
    logged.push(message);
  };

  it('accepts complete JSON of the format and anything for text', () => {
    expect(() => checkStructuredAnswer('{"a": [1]}', { type: 'json_object' }, log)).not.toThrow();
    expect(() => checkStructuredAnswer('{"a": [', { type: 'text' }, log)).not.toThrow();
  });

  it('throws output-invalid, and logs, for cut JSON or a non-object in JSON mode', () => {
    expect(() => checkStructuredAnswer('{"a": [', { type: 'json_object' }, log)).toThrow(expect.objectContaining({ code: 'output-invalid' }));
    expect(() => checkStructuredAnswer('[1]', { type: 'json_object' }, log)).toThrow(expect.objectContaining({ code: 'output-invalid' }));
    expect(logged).toHaveLength(2);
  });
});
