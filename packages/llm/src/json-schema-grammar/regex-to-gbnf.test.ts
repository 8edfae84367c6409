import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gbnfToRegExp } from './gbnf-test-matcher.js';
import { patternToGbnf, UnsupportedPatternError } from './regex-to-gbnf.js';

/** Whether the grammar for `pattern` accepts `text` written inside a JSON string. */
function grammarAccepts(pattern: string, text: string): boolean {
  return gbnfToRegExp(patternToGbnf(pattern)).test(JSON.stringify(text).slice(1, -1));
}

const patterns = [
  '^[0-9]{3}$',
  '^\\d{2,4}-[A-Z]+$',
  '^(ab|cd)*e?$',
  '^[^"\\\\]+$',
  '^a.c$',
  '^\\w+@\\w+\\.com$',
  'cat',
  '^(?:x|y){2}z+$',
  '^[a-c\\-]+$',
  '^\\s*\\S+$',
  '^(?<year>\\d{4})$',
  '^\\$\\d+(\\.\\d\\d)?$',
  '^[\\u0041-\\u0043]+$',
  '^["\\\\n]$',
];
const alphabet = fc.constantFrom(...'0123456789abcdeABCZxyz-_.@"\\ \n\t$'.split(''), 'é', 'mo', '.com');

describe('patternToGbnf', () => {
  it.each(patterns)('accepts exactly what %s matches (JSON-encoded)', (pattern) => {
    const regex = new RegExp(pattern, 'u');
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 8 }).map((parts) => parts.join('')), (text) => {
        expect(grammarAccepts(pattern, text)).toBe(regex.test(text));
      }),
      { numRuns: 400 },
    );
  });

  it('matches the issue case: ^[0-9]{3}$ takes "123" and never a sentence', () => {
    expect(grammarAccepts('^[0-9]{3}$', '123')).toBe(true);
    expect(grammarAccepts('^[0-9]{3}$', 'It is 123.')).toBe(false);
    expect(grammarAccepts('[0-9]{3}', 'It is 123.')).toBe(true);
  });

  it.each([
    ['^(?=a)b$', 'lookaround'],
    ['^(a)\\1$', 'back-reference'],
    ['\\bword\\b', 'word boundary'],
    ['^\\p{L}+$', '\\p'],
    ['a^b', 'inside the pattern'],
    ['^a|b$', 'top-level'],
  ])('refuses %s naming the construct (%s)', (pattern, feature) => {
    expect(() => patternToGbnf(pattern)).toThrow(UnsupportedPatternError);
    expect(() => patternToGbnf(pattern)).toThrow(feature);
  });
});
