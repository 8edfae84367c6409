import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { ApiError } from '../errors.js';

/** Validates a request body against a JSON Schema and returns it typed, or throws a 400. */
export type RequestValidator<T> = (body: unknown) => T;

// `/messages/0/content` → `messages[0].content`, OpenAI's notation for `param`. A segment is an
// index only where the body holds an array (a `logit_bias` key like `12` stays `.12`).
function toParam(body: unknown, instancePath: string, child?: string): string {
  const segments = instancePath.split('/').slice(1).map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (child !== undefined) segments.push(child);
  let param = '';
  let node: unknown = body;
  for (const segment of segments) {
    param += Array.isArray(node) ? `[${segment}]` : param === '' ? segment : `.${segment}`;
    node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[segment] : undefined;
  }
  return param;
}

function typeName(type: unknown): string {
  switch (type) {
    case 'integer': return 'an integer';
    case 'number': return 'a number';
    case 'string': return 'a string';
    case 'boolean': return 'a boolean';
    case 'array': return 'an array';
    case 'object': return 'an object';
    case 'null': return 'null';
    default: return String(type);
  }
}

function expectedTypes(type: unknown): string {
  const names = (Array.isArray(type) ? type : [type]).map(typeName);
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names.at(-1)}` : (names[0] ?? 'a value');
}

function describeBranches(schema: unknown): string {
  const branches = (schema as { anyOf?: readonly { type?: unknown; items?: { type?: unknown }; maxItems?: number }[] }).anyOf ?? [];
  const names = branches.map((branch) => {
    if (branch.type === 'array') {
      const items = branch.items?.type === undefined ? '' : ` of ${expectedTypes(branch.items.type).replace(/^an? /, '')}s`;
      return `an array${branch.maxItems === undefined ? '' : ` of at most ${branch.maxItems} items`}${items}`;
    }
    return expectedTypes(branch.type);
  });
  return [...new Set(names)].join(', or ');
}

function toApiError(body: unknown, errors: readonly ErrorObject[]): ApiError {
  // For `anyOf`, Ajv lists each failing branch before the `anyOf` error itself; the latter
  // names the field, the branches would only confuse.
  const error = errors.find((candidate) => candidate.keyword === 'anyOf') ?? errors[0];
  if (error === undefined) return new ApiError('invalid-request', 'The request body is invalid.');
  const param = toParam(body, error.instancePath);
  const actual = (value: unknown): string => JSON.stringify(value) ?? String(value);
  switch (error.keyword) {
    case 'required': {
      const missing = toParam(body, error.instancePath, String((error.params as { missingProperty: string }).missingProperty));
      return new ApiError('invalid-request', `Missing required parameter: '${missing}'.`, { param: missing, openaiCode: 'missing_required_parameter' });
    }
    case 'type':
      return new ApiError('invalid-request', `Invalid type for '${param}': expected ${expectedTypes(error.params['type'])}, but got ${typeof error.data === 'object' ? (Array.isArray(error.data) ? 'an array' : error.data === null ? 'null' : 'an object') : typeName(typeof error.data)} instead.`, { param, openaiCode: 'invalid_type' });
    case 'anyOf':
      return new ApiError('invalid-request', `Invalid value for '${param}': expected ${describeBranches(error.parentSchema)}.`, { param, openaiCode: 'invalid_type' });
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return new ApiError('invalid-request', `Invalid value for '${param}': ${actual(error.data)} ${error.message ?? ''}.`, { param, openaiCode: 'invalid_value' });
    case 'enum':
      return new ApiError('invalid-request', `Invalid value for '${param}': ${actual(error.data)}. Supported values are: ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => `'${String(v)}'`).join(', ')}.`, { param, openaiCode: 'invalid_value' });
    case 'maxItems':
    case 'minItems':
      return new ApiError('invalid-request', `Invalid '${param}': array ${error.message ?? 'has the wrong length'}.`, { param, openaiCode: error.keyword === 'maxItems' ? 'array_above_max_length' : 'empty_array' });
    case 'additionalProperties': {
      const unknown = toParam(body, error.instancePath, String((error.params as { additionalProperty: string }).additionalProperty));
      return new ApiError('invalid-request', `Unknown parameter: '${unknown}'.`, { param: unknown, openaiCode: 'unknown_parameter' });
    }
    case 'propertyNames':
      return new ApiError('invalid-request', `Invalid key in '${param}': keys must be token ids (decimal integers).`, { param, openaiCode: 'invalid_value' });
    default:
      return new ApiError('invalid-request', `Invalid value for '${param === '' ? 'body' : param}': ${error.message ?? 'does not match the schema'}.`, { param: param === '' ? null : param, openaiCode: 'invalid_value' });
  }
}

const ajv = new Ajv({ allErrors: false, strict: true, verbose: true, allowUnionTypes: true });

/**
 * Compiles `schema` once and returns a validator that throws an {@link ApiError}
 * `invalid-request` naming the field (`param`) in OpenAI's notation.
 *
 * @example
 * ```ts
 * const validate = createRequestValidator<ChatCompletionBody>(chatCompletionRequestSchema);
 * const body = validate(await readJsonBody(c));
 * ```
 */
export function createRequestValidator<T>(schema: object): RequestValidator<T> {
  const validate: ValidateFunction = ajv.compile(schema);
  return (body: unknown): T => {
    if (!validate(body)) throw toApiError(body, validate.errors ?? []);
    return body as T;
  };
}
