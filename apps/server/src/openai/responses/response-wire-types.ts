/**
 * TypeScript views of the Responses API's wire objects: the request body after schema
 * validation (`create-response-schema.ts`), and the items and response objects this server
 * sends and stores. Field names are OpenAI's.
 */

/** One content part of an input message, as clients send it. */
export interface InputContentPartBody {
  readonly type: string;
  readonly text?: string;
  readonly refusal?: string;
}

/** One item of `input`, as clients send it; which fields matter depends on `type`. */
export interface InputItemBody {
  /** `message` when absent (OpenAI's "easy input message"). */
  readonly type?: string;
  readonly id?: string | null;
  readonly role?: string;
  readonly content?: string | readonly InputContentPartBody[];
  readonly call_id?: string | null;
  readonly name?: string;
  readonly arguments?: string;
  readonly output?: string | readonly InputContentPartBody[];
  readonly status?: string | null;
}

/** `text.format`. */
export type TextFormatBody =
  | { readonly type: 'text' }
  | { readonly type: 'json_object' }
  | { readonly type: 'json_schema'; readonly name: string; readonly schema?: Readonly<Record<string, unknown>>; readonly description?: string; readonly strict?: boolean | null };

/** A function tool of `tools` (other tool types are refused by the mapper). */
export interface ToolBody {
  readonly type: string;
  readonly name?: string;
  readonly description?: string | null;
  readonly parameters?: Readonly<Record<string, unknown>> | null;
  readonly strict?: boolean | null;
}

/** `tool_choice`. */
export type ToolChoiceBody = 'none' | 'auto' | 'required' | { readonly type: string; readonly name?: string };

/** A validated `POST /v1/responses` body. */
export interface CreateResponseBody {
  readonly model?: string;
  readonly input?: string | readonly InputItemBody[];
  readonly instructions?: string | null;
  readonly previous_response_id?: string | null;
  readonly store?: boolean | null;
  readonly stream?: boolean | null;
  readonly stream_options?: { readonly include_obfuscation?: boolean } | null;
  readonly max_output_tokens?: number | null;
  readonly temperature?: number | null;
  readonly top_p?: number | null;
  readonly top_k?: number | null;
  readonly min_p?: number | null;
  readonly seed?: number | null;
  readonly stop?: string | readonly string[] | null;
  readonly presence_penalty?: number | null;
  readonly frequency_penalty?: number | null;
  readonly text?: { readonly format?: TextFormatBody; readonly verbosity?: string | null } | null;
  readonly tools?: readonly ToolBody[] | null;
  readonly tool_choice?: ToolChoiceBody | null;
  readonly parallel_tool_calls?: boolean | null;
  readonly metadata?: Readonly<Record<string, string>> | null;
  readonly user?: string;
  readonly safety_identifier?: string | null;
  readonly prompt_cache_key?: string | null;
  readonly service_tier?: string | null;
  readonly truncation?: string | null;
  readonly background?: boolean | null;
  readonly include?: readonly string[] | null;
  readonly reasoning?: { readonly effort?: string | null; readonly summary?: string | null } | null;
  readonly top_logprobs?: number | null;
  readonly max_tool_calls?: number | null;
  readonly conversation?: unknown;
  readonly prompt?: unknown;
  readonly context_management?: unknown;
  readonly moderation?: unknown;
}

/** An `output_text` content part. */
export interface OutputTextPart {
  readonly type: 'output_text';
  readonly text: string;
  readonly annotations: readonly never[];
  readonly logprobs: readonly never[];
}

/** The status of an item: `in_progress` only while streamed. */
export type ItemStatus = 'in_progress' | 'completed' | 'incomplete';

/**
 * A conversation item as this server sends and stores it (input and output alike): a subset of
 * OpenAI's `ItemResource`. Every item has an id (see `response-ids.ts`).
 */
export type ResponseItem =
  | {
      readonly id: string;
      readonly type: 'message';
      readonly role: 'user' | 'system' | 'developer';
      readonly status: ItemStatus;
      readonly content: readonly { readonly type: 'input_text'; readonly text: string }[];
    }
  | { readonly id: string; readonly type: 'message'; readonly role: 'assistant'; readonly status: ItemStatus; readonly content: readonly OutputTextPart[] }
  | { readonly id: string; readonly type: 'function_call'; readonly status: ItemStatus; readonly call_id: string; readonly name: string; readonly arguments: string }
  | { readonly id: string; readonly type: 'function_call_output'; readonly status: ItemStatus; readonly call_id: string; readonly output: string };

/** An output item: the assistant's message or a function call. */
export type OutputItem = Extract<ResponseItem, { readonly role: 'assistant' } | { readonly type: 'function_call' }>;

/** `usage` of a response. */
export interface ResponseUsage {
  readonly input_tokens: number;
  readonly input_tokens_details: { readonly cached_tokens: number; readonly cache_write_tokens: number };
  readonly output_tokens: number;
  readonly output_tokens_details: { readonly reasoning_tokens: number };
  readonly total_tokens: number;
}

/** The status of a response. */
export type ResponseStatus = 'in_progress' | 'completed' | 'incomplete';

/** The `response` object (the fields this server fills). */
export interface ResponseObject extends ResponseSettings {
  readonly id: string;
  readonly object: 'response';
  readonly created_at: number;
  readonly status: ResponseStatus;
  readonly completed_at: number | null;
  readonly error: null;
  readonly incomplete_details: { readonly reason: 'max_output_tokens' } | null;
  readonly model: string;
  readonly output: readonly OutputItem[];
  /** Absent until the generation finished (OpenAI's schema has no null here). */
  readonly usage?: ResponseUsage;
}

/** The request settings a response echoes back, as OpenAI does. */
export interface ResponseSettings {
  readonly instructions: string | null;
  readonly max_output_tokens: number | null;
  readonly previous_response_id: string | null;
  readonly store: boolean;
  readonly temperature: number | null;
  readonly top_p: number | null;
  readonly text: { readonly format: TextFormatBody };
  readonly tools: readonly {
    readonly type: 'function';
    readonly name: string;
    readonly description: string | null;
    readonly parameters: Readonly<Record<string, unknown>> | null;
    readonly strict: boolean | null;
  }[];
  readonly tool_choice: 'none' | 'auto' | 'required' | { readonly type: 'function'; readonly name: string };
  readonly parallel_tool_calls: boolean;
  readonly metadata: Readonly<Record<string, string>>;
  /** Only when the request had one (OpenAI's schema has no null here). */
  readonly user?: string;
  readonly safety_identifier: string | null;
  readonly prompt_cache_key: string | null;
  readonly truncation: 'disabled';
  readonly background: false;
  readonly service_tier: 'default';
  readonly reasoning: null;
  readonly max_tool_calls: number | null;
}
