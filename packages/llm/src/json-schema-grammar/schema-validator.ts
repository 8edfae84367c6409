import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS: its default export arrives wrapped under ESM.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (ajv: Ajv) => Ajv;

/** Checks a value against a schema; returns the problems, or undefined when it is valid. */
export type SchemaCheck = (value: unknown) => readonly string[] | undefined;

/** A schema Ajv refuses to compile (malformed), with Ajv's message. */
export class InvalidSchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidSchemaError';
  }
}

let ajv: Ajv | undefined;

function describe(error: ErrorObject): string {
  return `${error.instancePath === '' ? '/' : error.instancePath} ${error.message ?? 'is invalid'}`;
}

/**
 * Compiles `schema` with Ajv (JSON Schema draft 2020-12 keywords as Ajv's default dialect
 * reads them, `ajv-formats` for `format`). Unknown keywords are ignored here: which ones are
 * refused is the grammar generator's decision.
 */
export function compileSchemaCheck(schema: unknown): SchemaCheck {
  ajv ??= addFormats(new Ajv({ strict: false, allErrors: true, validateFormats: true }));
  let validate: ReturnType<Ajv['compile']>;
  try {
    validate = ajv.compile(schema as object);
  } catch (error) {
    throw new InvalidSchemaError(error instanceof Error ? error.message : String(error));
  }
  return (value) => (validate(value) ? undefined : (validate.errors ?? []).map(describe));
}
