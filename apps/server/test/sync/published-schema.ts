import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { createOpenApiDocument } from '../../src/openai/openapi-document.js';

// The node's own OpenAPI document (not OpenAI's, see ../openai-spec.ts): data API responses and
// events are checked against the schemas it publishes.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
ajv.addSchema(createOpenApiDocument('test') as object, 'doc');

/** Throws unless `value` matches `components.schemas[name]` of the node's OpenAPI document. */
export function assertSchema(name: string, value: unknown): void {
  const validate = ajv.getSchema(`doc#/components/schemas/${name}`);
  if (validate === undefined) throw new Error(`no schema ${name}`);
  if (!validate(value)) throw new Error(`${name}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(value)}`);
}
