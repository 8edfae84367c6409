import { gbnfClassChar, gbnfLiteral } from './gbnf-text.js';

/** A `pattern` this translator cannot turn into a grammar; `feature` names the construct. */
export class UnsupportedPatternError extends Error {
  readonly feature: string;
  constructor(feature: string) {
    super(`the pattern uses ${feature}, which cannot be enforced by a grammar here`);
    this.name = 'UnsupportedPatternError';
    this.feature = feature;
  }
}

/** A set of code points: inclusive ranges, possibly negated. */
interface CharSet {
  readonly ranges: readonly (readonly [number, number])[];
  readonly negated: boolean;
}

type Node =
  | { readonly type: 'chars'; readonly set: CharSet }
  | { readonly type: 'sequence'; readonly items: readonly Node[] }
  | { readonly type: 'alternation'; readonly options: readonly Node[] }
  | { readonly type: 'repeat'; readonly item: Node; readonly min: number; readonly max: number | undefined };

const DIGIT: CharSet = { ranges: [[0x30, 0x39]], negated: false };
const WORD: CharSet = { ranges: [[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]], negated: false };
const SPACE: CharSet = { ranges: [[0x09, 0x0d], [0x20, 0x20]], negated: false };
const ANY_BUT_NEWLINE: CharSet = { ranges: [[0x0a, 0x0a], [0x0d, 0x0d]], negated: true };

const negate = (set: CharSet): CharSet => ({ ranges: set.ranges, negated: !set.negated });
const single = (codePoint: number): CharSet => ({ ranges: [[codePoint, codePoint]], negated: false });

/** A recursive-descent parser of the ECMAScript regex subset JSON Schema patterns use. */
class PatternParser {
  readonly #source: readonly string[];
  #index = 0;

  constructor(source: string) {
    this.#source = [...source];
  }

  parse(): Node {
    const node = this.#alternation();
    if (this.#index < this.#source.length) throw new UnsupportedPatternError(`an unbalanced ")" at position ${this.#index}`);
    return node;
  }

  #peek(): string | undefined {
    return this.#source[this.#index];
  }

  #next(): string {
    const char = this.#source[this.#index];
    if (char === undefined) throw new UnsupportedPatternError('an incomplete construct at its end');
    this.#index++;
    return char;
  }

  #alternation(): Node {
    const options = [this.#sequence()];
    while (this.#peek() === '|') {
      this.#index++;
      options.push(this.#sequence());
    }
    return options.length === 1 ? (options[0] as Node) : { type: 'alternation', options };
  }

  #sequence(): Node {
    const items: Node[] = [];
    for (let char = this.#peek(); char !== undefined && char !== '|' && char !== ')'; char = this.#peek()) {
      if (char === '^' || char === '$') throw new UnsupportedPatternError(`"${char}" inside the pattern (only at its start or end)`);
      items.push(this.#quantified(this.#atom()));
    }
    return { type: 'sequence', items };
  }

  #quantified(item: Node): Node {
    const char = this.#peek();
    let min: number;
    let max: number | undefined;
    if (char === '*') [min, max] = [0, undefined];
    else if (char === '+') [min, max] = [1, undefined];
    else if (char === '?') [min, max] = [0, 1];
    else if (char === '{') {
      const match = /^\{(\d+)(,(\d*))?\}/.exec(this.#source.slice(this.#index).join(''));
      // A "{" that starts no repetition is a literal character, as in ECMAScript's Annex B.
      if (match === null) return item;
      min = Number(match[1]);
      max = match[2] === undefined ? min : match[3] === '' ? undefined : Number(match[3]);
      if (max !== undefined && max < min) throw new UnsupportedPatternError(`a repetition {${min},${max}} with max < min`);
      if (min > 1000 || (max ?? 0) > 1000) throw new UnsupportedPatternError('a repetition count above 1000');
      this.#index += match[0].length - 1;
    } else return item;
    this.#index++;
    // A lazy quantifier matches the same strings; only the match found first differs.
    if (this.#peek() === '?') this.#index++;
    if (this.#peek() === '*' || this.#peek() === '+' || this.#peek() === '{') {
      const next = this.#peek() ?? '';
      if (next !== '{' || /^\{\d/.test(this.#source.slice(this.#index).join(''))) throw new UnsupportedPatternError('a possessive or doubled quantifier');
    }
    return { type: 'repeat', item, min, max };
  }

  #atom(): Node {
    const char = this.#next();
    switch (char) {
      case '(': {
        if (this.#peek() === '?') {
          this.#index++;
          const kind = this.#next();
          if (kind === '<' && this.#peek() !== '=' && this.#peek() !== '!') {
            while (this.#next() !== '>');
          } else if (kind !== ':') {
            throw new UnsupportedPatternError(kind === '=' || kind === '!' || kind === '<' ? 'a lookaround assertion' : `the group "(?${kind}"`);
          }
        }
        const inner = this.#alternation();
        if (this.#next() !== ')') throw new UnsupportedPatternError('an unclosed group');
        return inner;
      }
      case '[':
        return { type: 'chars', set: this.#class() };
      case '.':
        return { type: 'chars', set: ANY_BUT_NEWLINE };
      case '\\':
        return { type: 'chars', set: this.#escape(false) };
      case '*':
      case '+':
      case '?':
        throw new UnsupportedPatternError(`a quantifier "${char}" with nothing to repeat`);
      default:
        return { type: 'chars', set: single(char.codePointAt(0) ?? 0) };
    }
  }

  #escape(inClass: boolean): CharSet {
    const char = this.#next();
    switch (char) {
      case 'd':
        return DIGIT;
      case 'D':
        return negate(DIGIT);
      case 'w':
        return WORD;
      case 'W':
        return negate(WORD);
      case 's':
        return SPACE;
      case 'S':
        return negate(SPACE);
      case 'n':
        return single(0x0a);
      case 'r':
        return single(0x0d);
      case 't':
        return single(0x09);
      case 'f':
        return single(0x0c);
      case 'v':
        return single(0x0b);
      case '0':
        return single(0);
      case 'x':
      case 'u': {
        const length = char === 'x' ? 2 : 4;
        const hex = this.#source.slice(this.#index, this.#index + length).join('');
        if (!new RegExp(`^[0-9a-fA-F]{${length}}$`).test(hex)) throw new UnsupportedPatternError(`the escape "\\${char}${hex}"`);
        this.#index += length;
        return single(parseInt(hex, 16));
      }
      case 'b':
        if (inClass) return single(0x08);
        throw new UnsupportedPatternError('a word boundary "\\b"');
      default:
        if (/[1-9]/.test(char)) throw new UnsupportedPatternError(`a back-reference "\\${char}"`);
        if (/[A-Za-z]/.test(char)) throw new UnsupportedPatternError(`the escape "\\${char}"`);
        return single(char.codePointAt(0) ?? 0);
    }
  }

  #class(): CharSet {
    const negated = this.#peek() === '^';
    if (negated) this.#index++;
    const ranges: [number, number][] = [];
    let first = true;
    for (;;) {
      const char = this.#next();
      if (char === ']' && !first) break;
      first = false;
      let low: CharSet;
      if (char === '\\') low = this.#escape(true);
      else if (char === '[') throw new UnsupportedPatternError('a nested character class');
      else low = single(char.codePointAt(0) ?? 0);
      const isSingle = !low.negated && low.ranges.length === 1 && low.ranges[0]?.[0] === low.ranges[0]?.[1];
      if (isSingle && this.#peek() === '-' && this.#source[this.#index + 1] !== ']') {
        this.#index++;
        const endChar = this.#next();
        const end = endChar === '\\' ? this.#escape(true) : single(endChar.codePointAt(0) ?? 0);
        const from = low.ranges[0]?.[0] ?? 0;
        const to = end.ranges[0]?.[0] ?? 0;
        if (end.negated || end.ranges.length !== 1 || to < from) throw new UnsupportedPatternError('an invalid class range');
        ranges.push([from, to]);
      } else if (low.negated) {
        throw new UnsupportedPatternError('a negated escape (\\D, \\W, \\S) inside a class');
      } else {
        ranges.push(...low.ranges.map(([from, to]) => [from, to] as [number, number]));
      }
    }
    return { ranges, negated };
  }
}

// Characters a JSON string can only hold escaped, with the escape the grammar writes for each.
const JSON_ESCAPES: readonly (readonly [number, string])[] = [
  [0x22, '\\"'],
  [0x5c, '\\\\'],
  [0x08, '\\b'],
  [0x0c, '\\f'],
  [0x0a, '\\n'],
  [0x0d, '\\r'],
  [0x09, '\\t'],
];

function inRanges(codePoint: number, ranges: CharSet['ranges']): boolean {
  return ranges.some(([from, to]) => codePoint >= from && codePoint <= to);
}

function escapeFor(codePoint: number): string {
  return JSON_ESCAPES.find(([point]) => point === codePoint)?.[1] ?? `\\u${codePoint.toString(16).padStart(4, '0')}`;
}

// Code points that must be written escaped inside a JSON string.
const MUST_ESCAPE: readonly (readonly [number, number])[] = [
  [0x00, 0x1f],
  [0x22, 0x22],
  [0x5c, 0x5c],
];

function subtract(ranges: CharSet['ranges'], holes: CharSet['ranges']): [number, number][] {
  let result: [number, number][] = ranges.map(([from, to]) => [from, to]);
  for (const [holeFrom, holeTo] of holes) {
    result = result.flatMap(([from, to]): [number, number][] => {
      if (holeTo < from || holeFrom > to) return [[from, to]];
      const pieces: [number, number][] = [];
      if (from < holeFrom) pieces.push([from, holeFrom - 1]);
      if (to > holeTo) pieces.push([holeTo + 1, to]);
      return pieces;
    });
  }
  return result;
}

/**
 * GBNF for one character of `set`, as it is written inside a JSON string: plain characters as
 * themselves, `"`, `\` and control characters as their JSON escapes.
 */
function charsGbnf(set: CharSet): string {
  const parts: string[] = [];
  const classBody = (ranges: CharSet['ranges']): string =>
    ranges.map(([from, to]) => (from === to ? gbnfClassChar(from) : `${gbnfClassChar(from)}-${gbnfClassChar(to)}`)).join('');
  if (set.negated) {
    parts.push(`[^${classBody([...set.ranges, ...MUST_ESCAPE])}]`);
  } else {
    const plain = subtract(set.ranges, MUST_ESCAPE);
    if (plain.length > 0) parts.push(`[${classBody(plain)}]`);
  }
  for (const [from, to] of MUST_ESCAPE) {
    for (let point = from; point <= to; point++) {
      const included = set.negated ? !inRanges(point, set.ranges) : inRanges(point, set.ranges);
      if (included) parts.push(gbnfLiteral(escapeFor(point)));
    }
  }
  if (parts.length === 0) throw new UnsupportedPatternError('an empty character class');
  return parts.length === 1 ? (parts[0] ?? '') : `(${parts.join(' | ')})`;
}

function nodeGbnf(node: Node): string {
  switch (node.type) {
    case 'chars':
      return charsGbnf(node.set);
    case 'sequence':
      return node.items.length === 0 ? '""' : node.items.map(nodeGbnf).join(' ');
    case 'alternation':
      return `(${node.options.map(nodeGbnf).join(' | ')})`;
    case 'repeat': {
      const inner = `(${nodeGbnf(node.item)})`;
      if (node.max === undefined) return node.min === 0 ? `${inner}*` : node.min === 1 ? `${inner}+` : `${inner}{${node.min},}`;
      if (node.min === 0 && node.max === 1) return `${inner}?`;
      return node.min === node.max ? `${inner}{${node.min}}` : `${inner}{${node.min},${node.max}}`;
    }
  }
}

/** Any characters of a JSON string: the free prefix and suffix of an unanchored pattern. */
const ANY_STRING_CHARS = `(${charsGbnf({ ranges: [], negated: true })})*`;

/**
 * GBNF for the contents of a JSON string (between its quotes) whose decoded text matches the
 * JSON Schema `pattern` (ECMAScript syntax; unanchored, as JSON Schema applies it). Supported:
 * literals, `.`, classes and ranges, `\d \w \s` and their negations, groups (plain,
 * non-capturing, named), alternation, `* + ? {m} {m,} {m,n}` (lazy too), and `^` / `$` at the
 * ends. Anything else (look-arounds, back-references, `\b`, `\p{…}`, anchors inside) throws
 * {@link UnsupportedPatternError} naming it.
 */
export function patternToGbnf(pattern: string): string {
  let source = pattern;
  const anchoredStart = source.startsWith('^');
  if (anchoredStart) source = source.slice(1);
  const anchoredEnd = source.endsWith('$') && !source.endsWith('\\$');
  if (anchoredEnd) source = source.slice(0, -1);
  const root = new PatternParser(source).parse();
  if (root.type === 'alternation' && (anchoredStart || anchoredEnd)) {
    // `^a|b$` means "a at the start, or b at the end", not `^(a|b)$`.
    throw new UnsupportedPatternError('an anchor on one branch of a top-level "|" (write ^(a|b)$ to anchor all branches)');
  }
  const body = nodeGbnf(root);
  return [anchoredStart ? '' : ANY_STRING_CHARS, `(${body})`, anchoredEnd ? '' : ANY_STRING_CHARS].filter((part) => part !== '').join(' ');
}
