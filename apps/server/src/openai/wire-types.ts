/**
 * TypeScript views of the request bodies after schema validation (see `schemas/`). Only the
 * fields the server reads; everything is optional or nullable as on OpenAI's wire.
 */

/** Fields shared by chat and text completion requests. */
export interface SamplingBody {
  readonly model?: string;
  readonly max_tokens?: number | null;
  readonly temperature?: number | null;
  readonly top_p?: number | null;
  readonly top_k?: number | null;
  readonly min_p?: number | null;
  readonly n?: number | null;
  readonly stop?: string | readonly string[] | null;
  readonly seed?: number | null;
  readonly presence_penalty?: number | null;
  readonly frequency_penalty?: number | null;
  readonly logit_bias?: Readonly<Record<string, number>> | null;
  readonly stream?: boolean | null;
  readonly stream_options?: { readonly include_usage?: boolean } | null;
  readonly user?: string;
}

/** One content part of a chat message. */
export interface ContentPartBody {
  readonly type: string;
  readonly text?: string;
  readonly refusal?: string;
}

/** A tool call inside an assistant message. */
export interface ToolCallBody {
  readonly id: string;
  readonly type: 'function';
  readonly function: { readonly name: string; readonly arguments: string };
}

/** One chat message as sent by clients. */
export interface MessageBody {
  readonly role: 'system' | 'developer' | 'user' | 'assistant' | 'tool';
  readonly content?: string | readonly ContentPartBody[] | null;
  readonly name?: string;
  readonly tool_calls?: readonly ToolCallBody[] | null;
  readonly tool_call_id?: string;
}

/** A function tool definition. */
export interface ToolBody {
  readonly type: 'function';
  readonly function: {
    readonly name: string;
    readonly description?: string;
    readonly parameters?: Readonly<Record<string, unknown>>;
    readonly strict?: boolean | null;
  };
}

/** `response_format` of a chat request. */
export type ResponseFormatBody =
  | { readonly type: 'text' | 'json_object' }
  | { readonly type: 'json_schema'; readonly json_schema: { readonly name: string; readonly schema?: Readonly<Record<string, unknown>> } };

/** A validated `POST /v1/chat/completions` body. */
export interface ChatCompletionBody extends SamplingBody {
  readonly messages: readonly MessageBody[];
  readonly max_completion_tokens?: number | null;
  readonly response_format?: ResponseFormatBody | null;
  readonly tools?: readonly ToolBody[] | null;
  readonly tool_choice?: 'none' | 'auto' | 'required' | { readonly type: 'function'; readonly function: { readonly name: string } } | null;
  readonly logprobs?: boolean | null;
  readonly top_logprobs?: number | null;
}

/** A validated `POST /v1/completions` body. */
export interface CompletionBody extends SamplingBody {
  readonly prompt: string | readonly string[] | readonly number[] | readonly (readonly number[])[];
  readonly echo?: boolean | null;
  readonly best_of?: number | null;
  readonly logprobs?: number | null;
  readonly suffix?: string | null;
}
