import type { Llama, LlamaGrammar } from 'node-llama-cpp';
import { LlmError } from './errors.js';
import { schemaToGbnf, UnsupportedSchemaError } from './json-schema-grammar/schema-to-gbnf.js';
import { compileSchemaCheck, InvalidSchemaError, type SchemaCheck } from './json-schema-grammar/schema-validator.js';
import type { LogLevel, ResponseFormat } from './types.js';

/** A JSON response format made ready: the grammar that constrains generation, and the check of the result. */
export interface PreparedFormat {
  readonly grammar: LlamaGrammar;
  /** The format's GBNF text (for diagnostics). */
  readonly gbnf: string;
  readonly check: SchemaCheck;
}

const CACHE_SIZE = 32;
const ANY_OBJECT = Object.freeze({ type: 'object' });

/**
 * Turns `json_object` / `json_schema` response formats into llama.cpp grammars (our own JSON
 * Schema → GBNF generator: node-llama-cpp's ignores bounds, `pattern` and most formats) and Ajv
 * checks, cached by schema text so a client repeating its schema pays once.
 */
export class ResponseFormatGrammars {
  readonly #llama: Llama;
  readonly #cache = new Map<string, Promise<PreparedFormat>>();

  constructor(llama: Llama) {
    this.#llama = llama;
  }

  /**
   * The grammar and check for `format`, or undefined for text. Throws `unsupported-schema` for a
   * keyword the grammar cannot enforce (details: `keyword`, `path`) and `invalid-request` for a
   * malformed schema, before anything is generated.
   */
  async prepare(format: ResponseFormat): Promise<PreparedFormat | undefined> {
    if (format.type === 'text') return undefined;
    const schema = format.type === 'json_object' ? ANY_OBJECT : format.schema;
    const key = JSON.stringify(schema);
    const cached = this.#cache.get(key);
    if (cached !== undefined) return cached;
    const prepared = this.#prepare(schema);
    this.#cache.set(key, prepared);
    prepared.catch(() => this.#cache.delete(key));
    if (this.#cache.size > CACHE_SIZE) this.#cache.delete(this.#cache.keys().next().value as string);
    return prepared;
  }

  async #prepare(schema: unknown): Promise<PreparedFormat> {
    let gbnf: string;
    let check: SchemaCheck;
    try {
      check = compileSchemaCheck(schema);
      gbnf = schemaToGbnf(schema);
    } catch (error) {
      if (error instanceof UnsupportedSchemaError) {
        throw new LlmError(
          'unsupported-schema',
          `The JSON schema keyword ${error.message}. Remove it or express it with supported keywords (README, "Structured output").`,
          { param: 'responseFormat.schema', keyword: error.keyword, path: error.path },
          { cause: error },
        );
      }
      if (error instanceof InvalidSchemaError) {
        throw new LlmError('invalid-request', `The JSON schema is invalid: ${error.message}`, { param: 'responseFormat.schema' }, { cause: error });
      }
      throw error;
    }
    const grammar = await this.#llama.createGrammar({ grammar: gbnf });
    return { grammar, gbnf, check };
  }
}

/**
 * Checks an answer that ended on its own (finish reason `stop`) against its prepared format: it
 * must parse and satisfy the schema. The grammar should make a failure impossible, so one is a
 * bug: logged with the answer and thrown as `output-invalid`, never returned as a valid answer.
 */
export function checkStructuredAnswer(text: string, prepared: PreparedFormat | undefined, log: (level: LogLevel, message: string) => void): void {
  if (prepared === undefined) return;
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (cause) {
    throw outputInvalid(`is not complete JSON (${cause instanceof Error ? cause.message : String(cause)})`, text, [], log);
  }
  const errors = prepared.check(value);
  if (errors !== undefined) throw outputInvalid(`does not match the schema (${errors.join('; ')})`, text, errors, log);
}

function outputInvalid(problem: string, text: string, errors: readonly string[], log: (level: LogLevel, message: string) => void): LlmError {
  const excerpt = text.length > 200 ? `${text.slice(0, 200)}…` : text;
  log('error', `grammar-constrained answer ${problem}: ${JSON.stringify(excerpt)}`);
  return new LlmError(
    'output-invalid',
    `The model's answer ${problem}, although the grammar should have prevented it; this is a bug in the server, please report it with the request.`,
    { text: excerpt, errors },
  );
}
