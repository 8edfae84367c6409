import { gbnfLiteral } from './gbnf-text.js';
import { integerRangeGbnf, MAX_SAFE_DIGITS } from './integer-range.js';
import { numberRangeGbnf, type Bound } from './number-range.js';
import { patternToGbnf, UnsupportedPatternError } from './regex-to-gbnf.js';
import { stringFormats } from './string-formats.js';

/** A schema keyword the grammar cannot enforce, with where it is (a JSON pointer into the schema). */
export class UnsupportedSchemaError extends Error {
  readonly keyword: string;
  readonly path: string;
  constructor(keyword: string, path: string, reason: string) {
    super(`"${keyword}" at ${path === '' ? '/' : path}: ${reason}`);
    this.name = 'UnsupportedSchemaError';
    this.keyword = keyword;
    this.path = path;
  }
}

type Schema = Readonly<Record<string, unknown>>;

// Keywords that describe but do not constrain: accepted and left out of the grammar.
const ANNOTATIONS = new Set([
  'title', 'description', 'default', 'examples', 'example', '$schema', '$id', '$comment', '$anchor', 'deprecated',
  'readOnly', 'writeOnly', 'contentEncoding', 'contentMediaType', 'strict', 'name',
]);
// Keywords the grammar enforces (each handled below).
const ENFORCED = new Set([
  'type', 'enum', 'const', 'anyOf', 'allOf', '$ref', '$defs', 'definitions', 'nullable',
  'properties', 'required', 'additionalProperties',
  'items', 'minItems', 'maxItems',
  'minLength', 'maxLength', 'pattern', 'format',
  'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum',
]);
const REASONS: Readonly<Record<string, string>> = {
  oneOf: 'use anyOf (OpenAI structured outputs do not accept oneOf either)',
  multipleOf: 'multiples cannot be enforced by the grammar',
  uniqueItems: 'distinct array items cannot be enforced by the grammar',
  patternProperties: 'list the properties instead',
  propertyNames: 'list the properties instead',
  minProperties: 'mark the properties required instead',
  maxProperties: 'list the properties instead',
  prefixItems: 'tuples are not supported; use an object',
  contains: 'not supported',
  not: 'negation cannot be enforced by the grammar',
  if: 'conditional schemas are not supported',
  then: 'conditional schemas are not supported',
  else: 'conditional schemas are not supported',
  dependentRequired: 'not supported',
  dependentSchemas: 'not supported',
  unevaluatedProperties: 'use additionalProperties',
  unevaluatedItems: 'not supported',
  $dynamicRef: 'not supported',
};

const MAX_REPEAT = 10_000;
const WS = 'ws';

/**
 * Turns a JSON Schema into a llama.cpp GBNF grammar whose every string is JSON valid against
 * the schema. Enforced: `type` (and type lists), `enum`, `const`, `anyOf`, single-schema `allOf`,
 * `$ref` into `$defs`/`definitions` (recursion included), `nullable`, objects (`properties`,
 * `required`, optional properties in order, `additionalProperties`), arrays (`items`,
 * `minItems`, `maxItems`), strings (`minLength`, `maxLength`, `pattern`, `format` date,
 * date-time, time, uuid, email, ipv4), integers and numbers with `minimum`, `maximum`,
 * `exclusiveMinimum`, `exclusiveMaximum` (integer-valued bounds for numbers). Any other
 * constraining keyword throws {@link UnsupportedSchemaError} naming it and its JSON pointer.
 */
export function schemaToGbnf(schema: unknown): string {
  return new GrammarBuilder(schema).build();
}

class GrammarBuilder {
  readonly #root: unknown;
  readonly #rules = new Map<string, string>();
  readonly #refRules = new Map<string, string>();
  #counter = 0;

  constructor(root: unknown) {
    this.#root = root;
  }

  build(): string {
    const root = this.#value(this.#root, '');
    this.#rules.set('root', root);
    this.#addBasics();
    return [...this.#rules.entries()].map(([name, body]) => `${name} ::= ${body}`).join('\n');
  }

  #addBasics(): void {
    this.#rules.set(WS, '| " " | "\\n" [ \\t]{0,20}');
    this.#rules.set('char', '[^"\\\\\\x7F\\x00-\\x1F] | "\\\\" (["\\\\/bfnrt] | "u" [0-9a-fA-F]{4})');
    this.#rules.set('string', '"\\"" char* "\\""');
    // Every number must parse to a finite double and every integer to a safe integer (what the
    // model wrote): a two-digit exponent stays far below 1e308, where JSON.parse gives Infinity, and
    // integers keep to the digit count below 2^53.
    this.#rules.set('number', '"-"? ("0" | [1-9] [0-9]{0,15}) ("." [0-9]{1,15})? ([eE] [-+]? [0-9]{1,2})?');
    this.#rules.set('integer', `"-"? ("0" | [1-9] [0-9]{0,${MAX_SAFE_DIGITS - 1}})`);
    this.#rules.set('boolean', '"true" | "false"');
    this.#rules.set('null', '"null"');
    this.#rules.set('value', 'object | array | string | number | boolean | null');
    this.#rules.set('object', `"{" ${WS} (string ${WS} ":" ${WS} value (${WS} "," ${WS} string ${WS} ":" ${WS} value)*)? ${WS} "}"`);
    this.#rules.set('array', `"[" ${WS} (value (${WS} "," ${WS} value)*)? ${WS} "]"`);
  }

  #rule(prefix: string, body: string): string {
    const name = `${prefix}-${++this.#counter}`;
    this.#rules.set(name, body);
    return name;
  }

  /** GBNF expression for one value of `schema` at JSON pointer `path`. */
  #value(schema: unknown, path: string): string {
    if (schema === true) return 'value';
    if (schema === false) throw new UnsupportedSchemaError('false', path, 'a false schema allows no value');
    if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
      throw new UnsupportedSchemaError('schema', path, 'a schema must be an object or a boolean');
    }
    const node = schema as Schema;
    this.#checkKeywords(node, path);
    if (node['$ref'] !== undefined) return this.#ref(node, path);
    if (node['allOf'] !== undefined) return this.#allOf(node, path);
    if (node['const'] !== undefined) return gbnfLiteral(JSON.stringify(node['const']));
    if (node['enum'] !== undefined) return this.#enum(node, path);
    let expression: string;
    if (node['anyOf'] !== undefined) {
      const options = this.#array(node, 'anyOf', path);
      expression = `(${options.map((option, index) => this.#value(option, `${path}/anyOf/${index}`)).join(' | ')})`;
    } else {
      expression = this.#typed(node, path);
    }
    return node['nullable'] === true ? `(${expression} | null)` : expression;
  }

  #checkKeywords(node: Schema, path: string): void {
    for (const keyword of Object.keys(node)) {
      if (ENFORCED.has(keyword) || ANNOTATIONS.has(keyword)) continue;
      const reason = REASONS[keyword] ?? 'this keyword is not supported by the grammar';
      throw new UnsupportedSchemaError(keyword, `${path}/${keyword}`, reason);
    }
  }

  #array(node: Schema, keyword: string, path: string): unknown[] {
    const value = node[keyword];
    if (!Array.isArray(value) || value.length === 0) throw new UnsupportedSchemaError(keyword, `${path}/${keyword}`, 'must be a non-empty array');
    return value;
  }

  #ref(node: Schema, path: string): string {
    const ref = node['$ref'];
    if (typeof ref !== 'string' || !ref.startsWith('#')) {
      throw new UnsupportedSchemaError('$ref', `${path}/$ref`, 'only references inside the schema ("#/$defs/…") are supported');
    }
    const known = this.#refRules.get(ref);
    if (known !== undefined) return known;
    const name = `ref-${++this.#counter}`;
    this.#refRules.set(ref, name);
    const target = resolvePointer(this.#root, ref.slice(1));
    if (target === undefined) throw new UnsupportedSchemaError('$ref', `${path}/$ref`, `"${ref}" points at nothing in the schema`);
    this.#rules.set(name, this.#value(target, ref.slice(1)));
    return name;
  }

  #allOf(node: Schema, path: string): string {
    const parts = this.#array(node, 'allOf', path);
    const others = Object.keys(node).filter((key) => key !== 'allOf' && !ANNOTATIONS.has(key));
    if (parts.length !== 1 || others.length > 0) {
      throw new UnsupportedSchemaError('allOf', `${path}/allOf`, 'only an allOf of one schema, with nothing beside it, is supported');
    }
    return this.#value(parts[0], `${path}/allOf/0`);
  }

  #enum(node: Schema, path: string): string {
    const values = this.#array(node, 'enum', path);
    return `(${values.map((value) => gbnfLiteral(JSON.stringify(value))).join(' | ')})`;
  }

  #typed(node: Schema, path: string): string {
    const type = node['type'];
    const types: unknown[] = type === undefined ? [] : Array.isArray(type) ? type : [type];
    if (types.length === 0) {
      // No type: infer it from the keywords present, else any value.
      if (node['properties'] !== undefined || node['additionalProperties'] !== undefined || node['required'] !== undefined) types.push('object');
      else if (node['items'] !== undefined || node['minItems'] !== undefined || node['maxItems'] !== undefined) types.push('array');
      else if (['minLength', 'maxLength', 'pattern', 'format'].some((key) => node[key] !== undefined)) types.push('string');
      else if (['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'].some((key) => node[key] !== undefined)) types.push('number');
      else return 'value';
    }
    const options = types.map((name) => {
      switch (name) {
        case 'object':
          return this.#object(node, path);
        case 'array':
          return this.#arrayOf(node, path);
        case 'string':
          return this.#string(node, path);
        case 'integer':
          return this.#number(node, path, true);
        case 'number':
          return this.#number(node, path, false);
        case 'boolean':
          return 'boolean';
        case 'null':
          return 'null';
        default:
          throw new UnsupportedSchemaError('type', `${path}/type`, `unknown type ${JSON.stringify(name)}`);
      }
    });
    return options.length === 1 ? (options[0] ?? 'value') : `(${options.join(' | ')})`;
  }

  #object(node: Schema, path: string): string {
    const properties = (node['properties'] ?? {}) as Readonly<Record<string, unknown>>;
    if (typeof properties !== 'object' || properties === null || Array.isArray(properties)) {
      throw new UnsupportedSchemaError('properties', `${path}/properties`, 'must be an object');
    }
    const required = node['required'] ?? [];
    if (!Array.isArray(required) || required.some((name) => typeof name !== 'string')) {
      throw new UnsupportedSchemaError('required', `${path}/required`, 'must be an array of property names');
    }
    for (const name of required as string[]) {
      if (!(name in properties)) {
        throw new UnsupportedSchemaError('required', `${path}/required`, `"${name}" is required but not in properties; add it there`);
      }
    }
    const names = Object.keys(properties);
    const additional = node['additionalProperties'];
    if (names.length === 0) {
      // A map: any keys, values of the additionalProperties schema.
      if (additional === false) return `"{" ${WS} "}"`;
      if (additional === undefined || additional === true) return 'object';
      const value = this.#value(additional, `${path}/additionalProperties`);
      return this.#rule('map', `"{" ${WS} (string ${WS} ":" ${WS} ${value} (${WS} "," ${WS} string ${WS} ":" ${WS} ${value})*)? ${WS} "}"`);
    }
    // Declared properties only, in their order: valid whether or not additional ones are allowed.
    if (additional !== undefined && typeof additional !== 'boolean') this.#value(additional, `${path}/additionalProperties`);
    const pairs = names.map((name) => {
      const value = this.#value(properties[name], `${path}/properties/${escapePointer(name)}`);
      return this.#rule('kv', `${gbnfLiteral(JSON.stringify(name))} ${WS} ":" ${WS} ${value}`);
    });
    const isRequired = names.map((name) => (required as string[]).includes(name));
    // rest(i, first): the properties from i on; `first` when none was written yet (no comma).
    const restRules = new Map<string, string>();
    const rest = (index: number, first: boolean): string => {
      if (index === names.length) return '""';
      const key = `${index}:${first}`;
      const known = restRules.get(key);
      if (known !== undefined) return known;
      const name = `props-${++this.#counter}`;
      restRules.set(key, name);
      const take = `${first ? '' : `${WS} "," ${WS} `}${pairs[index]} ${rest(index + 1, false)}`;
      this.#rules.set(name, isRequired[index] === true ? take : `${take} | ${rest(index + 1, first)}`);
      return name;
    };
    return this.#rule('obj', `"{" ${WS} ${rest(0, true)} ${WS} "}"`);
  }

  #arrayOf(node: Schema, path: string): string {
    const items = node['items'];
    if (Array.isArray(items)) throw new UnsupportedSchemaError('items', `${path}/items`, 'tuples (an array of schemas) are not supported');
    const item = items === undefined ? 'value' : this.#value(items, `${path}/items`);
    const min = this.#count(node, 'minItems', path) ?? 0;
    const max = this.#count(node, 'maxItems', path);
    if (max !== undefined && max < min) throw new UnsupportedSchemaError('maxItems', `${path}/maxItems`, 'is below minItems');
    if (max === 0) return `"[" ${WS} "]"`;
    const more = `(${WS} "," ${WS} ${item})`;
    const tail = max === undefined ? (min <= 1 ? `${more}*` : `${more}{${min - 1},}`) : `${more}{${Math.max(min - 1, 0)},${max - 1}}`;
    const list = `${item} ${tail}`;
    return this.#rule('arr', `"[" ${WS} ${min === 0 ? `(${list})?` : list} ${WS} "]"`);
  }

  #count(node: Schema, keyword: string, path: string): number | undefined {
    const value = node[keyword];
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw new UnsupportedSchemaError(keyword, `${path}/${keyword}`, 'must be a non-negative integer');
    }
    if (value > MAX_REPEAT) throw new UnsupportedSchemaError(keyword, `${path}/${keyword}`, `counts above ${MAX_REPEAT} are not supported`);
    return value;
  }

  #string(node: Schema, path: string): string {
    const min = this.#count(node, 'minLength', path);
    const max = this.#count(node, 'maxLength', path);
    const pattern = node['pattern'];
    const format = node['format'];
    const lengths = min !== undefined || max !== undefined;
    if (pattern !== undefined) {
      if (typeof pattern !== 'string') throw new UnsupportedSchemaError('pattern', `${path}/pattern`, 'must be a string');
      if (lengths || format !== undefined) {
        throw new UnsupportedSchemaError(min !== undefined ? 'minLength' : max !== undefined ? 'maxLength' : 'format', path, 'cannot be combined with pattern; put the length into the pattern');
      }
      try {
        new RegExp(pattern, 'u');
      } catch {
        throw new UnsupportedSchemaError('pattern', `${path}/pattern`, 'is not a valid regular expression');
      }
      try {
        return this.#rule('pattern', `"\\"" ${patternToGbnf(pattern)} "\\""`);
      } catch (error) {
        if (error instanceof UnsupportedPatternError) throw new UnsupportedSchemaError('pattern', `${path}/pattern`, error.message);
        throw error;
      }
    }
    if (format !== undefined) {
      const rule = typeof format === 'string' ? stringFormats[format] : undefined;
      if (rule === undefined) {
        throw new UnsupportedSchemaError('format', `${path}/format`, `format ${JSON.stringify(format)} is not supported (supported: ${Object.keys(stringFormats).join(', ')})`);
      }
      if (lengths) throw new UnsupportedSchemaError(min !== undefined ? 'minLength' : 'maxLength', path, 'cannot be combined with format');
      return this.#rule('format', `"\\"" ${rule} "\\""`);
    }
    if (!lengths) return 'string';
    if (max !== undefined && max < (min ?? 0)) throw new UnsupportedSchemaError('maxLength', `${path}/maxLength`, 'is below minLength');
    const repeat = max === undefined ? `{${min ?? 0},}` : `{${min ?? 0},${max}}`;
    return this.#rule('str', `"\\"" char${repeat} "\\""`);
  }

  #number(node: Schema, path: string, integer: boolean): string {
    const bound = (keyword: string): number | undefined => {
      const value = node[keyword];
      if (value === undefined) return undefined;
      if (typeof value === 'boolean' && (keyword === 'exclusiveMinimum' || keyword === 'exclusiveMaximum')) {
        throw new UnsupportedSchemaError(keyword, `${path}/${keyword}`, 'the boolean form (draft 4) is not supported; give the bound as a number');
      }
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new UnsupportedSchemaError(keyword, `${path}/${keyword}`, 'must be a number');
      if (!integer && !Number.isInteger(value)) {
        throw new UnsupportedSchemaError(keyword, `${path}/${keyword}`, 'non-integer bounds of a number are not supported; use integer bounds');
      }
      if (!Number.isSafeInteger(Math.trunc(value))) throw new UnsupportedSchemaError(keyword, `${path}/${keyword}`, 'is beyond the safe integer range');
      return value;
    };
    const lower = tighterLower(bound('minimum'), bound('exclusiveMinimum'));
    const upper = tighterUpper(bound('maximum'), bound('exclusiveMaximum'));
    if (lower === undefined && upper === undefined) return integer ? 'integer' : 'number';
    try {
      if (integer) {
        const min = lower === undefined ? undefined : BigInt(lower.exclusive ? Math.floor(lower.value) + 1 : Math.ceil(lower.value));
        const max = upper === undefined ? undefined : BigInt(upper.exclusive ? Math.ceil(upper.value) - 1 : Math.floor(upper.value));
        return this.#rule('int', integerRangeGbnf(min, max));
      }
      const toBound = (end: { value: number; exclusive: boolean } | undefined): Bound | undefined =>
        end === undefined ? undefined : { value: BigInt(end.value), exclusive: end.exclusive };
      return this.#rule('num', numberRangeGbnf(toBound(lower), toBound(upper)));
    } catch (error) {
      if (error instanceof RangeError) throw new UnsupportedSchemaError('minimum', path, 'no value lies between the bounds');
      throw error;
    }
  }
}

function tighterLower(minimum: number | undefined, exclusive: number | undefined): { value: number; exclusive: boolean } | undefined {
  if (exclusive !== undefined && (minimum === undefined || exclusive >= minimum)) return { value: exclusive, exclusive: true };
  return minimum === undefined ? undefined : { value: minimum, exclusive: false };
}

function tighterUpper(maximum: number | undefined, exclusive: number | undefined): { value: number; exclusive: boolean } | undefined {
  if (exclusive !== undefined && (maximum === undefined || exclusive <= maximum)) return { value: exclusive, exclusive: true };
  return maximum === undefined ? undefined : { value: maximum, exclusive: false };
}

function escapePointer(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1');
}

function resolvePointer(root: unknown, pointer: string): unknown {
  if (pointer === '') return root;
  let node: unknown = root;
  for (const raw of pointer.split('/').slice(1)) {
    const segment = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~');
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}
