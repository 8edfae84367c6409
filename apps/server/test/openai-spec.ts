import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';

/** Names of the OpenAI component schemas the tests validate against. */
export type SpecSchemaName =
  | 'CreateChatCompletionResponse'
  | 'CreateChatCompletionStreamResponse'
  | 'CreateCompletionResponse'
  | 'CreateEmbeddingResponse'
  | 'ListModelsResponse'
  | 'Model'
  | 'ErrorResponse'
  | 'Response'
  | 'ResponseStreamEvent'
  | 'ResponseItemList'
  | `Response${string}Event`;

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

/** The pinned OpenAI spec: `TROSYN_OPENAI_SPEC`, else `../shared/openai/openapi.yaml` beside the repository. */
export function openAiSpecPath(): string {
  const path = process.env['TROSYN_OPENAI_SPEC'] ?? resolve(repoRoot, '../shared/openai/openapi.yaml');
  if (!existsSync(path)) throw new Error(`The pinned OpenAI spec is not at ${path}; set TROSYN_OPENAI_SPEC to its openapi.yaml.`);
  return path;
}

// The spec mixes OpenAPI 3.0 `nullable: true` into 3.1 schemas; JSON Schema ignores it, so
// turn it into a real "or null" (see the spec folder's README).
function convertNullable(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(convertNullable);
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) out[key] = convertNullable(value);
  if (out['nullable'] === true) {
    delete out['nullable'];
    return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}

let cached: Ajv2020 | undefined;

/**
 * Parses the spec and compiles the validator now (about 2 s). Call it in `beforeAll`, so the
 * event loop is not blocked in the middle of a test while HTTP connections are open.
 */
export function loadOpenAiSpec(): void {
  ajv();
}

function ajv(): Ajv2020 {
  if (cached !== undefined) return cached;
  const spec = parse(readFileSync(openAiSpecPath(), 'utf8')) as { components: { schemas: Record<string, unknown> } };
  const instance = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;
  addFormats(instance);
  instance.addFormat('unixtime', true);
  instance.addSchema({ $id: 'openai', components: { schemas: convertNullable(spec.components.schemas) } });
  cached = instance;
  return instance;
}

/** Throws with Ajv's errors when `value` does not match OpenAI's schema `name`. */
export function assertMatchesSpec(name: SpecSchemaName, value: unknown): void {
  const validate = ajv().getSchema(`openai#/components/schemas/${name}`);
  if (validate === undefined) throw new Error(`no schema ${name} in the spec`);
  if (!validate(value)) {
    throw new Error(`response does not match OpenAI's ${name}: ${JSON.stringify(validate.errors?.slice(0, 5), null, 1)}\n${JSON.stringify(value)}`);
  }
}

/**
 * Streamed completion chunks carry `finish_reason: null` until the last one, as OpenAI sends
 * them, although the spec's `CreateCompletionResponse` does not say nullable (README quirk).
 */
export function assertCompletionChunkMatchesSpec(chunk: { choices: { finish_reason: unknown }[] }): void {
  const patched = { ...chunk, choices: chunk.choices.map((choice) => ({ ...choice, finish_reason: choice.finish_reason ?? 'stop' })) };
  assertMatchesSpec('CreateCompletionResponse', patched);
}

let eventSchemas: Map<string, string> | undefined;

/**
 * Checks a streamed Responses event against the spec's schema for its `type` (for example
 * `ResponseTextDeltaEvent` for `response.output_text.delta`), and against `ResponseStreamEvent`.
 * Picking the one schema gives Ajv errors about the fields that are wrong, not about 60 others.
 */
export function assertResponseEventMatchesSpec(event: { type: string }): void {
  if (eventSchemas === undefined) {
    const spec = parse(readFileSync(openAiSpecPath(), 'utf8')) as { components: { schemas: Record<string, { anyOf?: { $ref: string }[]; properties?: { type?: { enum?: string[] } } }> } };
    const schemas = spec.components.schemas;
    eventSchemas = new Map();
    for (const { $ref } of schemas['ResponseStreamEvent']?.anyOf ?? []) {
      const name = $ref.split('/').at(-1)!;
      const type = schemas[name]?.properties?.type?.enum?.[0];
      if (type !== undefined) eventSchemas.set(type, name);
    }
  }
  const name = eventSchemas.get(event.type);
  if (name === undefined) throw new Error(`no event type ${event.type} in the spec's ResponseStreamEvent`);
  assertMatchesSpec(name as SpecSchemaName, event);
  assertMatchesSpec('ResponseStreamEvent', event);
}
