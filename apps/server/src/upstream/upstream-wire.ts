import type {
  ChatMessage,
  ChatRequest,
  ChatResult,
  CompletionRequest,
  CompletionResult,
  FinishReason,
  GenerationOptions,
  ToolCall,
  Usage,
} from '../engine.js';
import { UpstreamEngineError } from './upstream-error.js';

/**
 * The engine port's requests as OpenAI request bodies, and OpenAI answers back as the port's
 * results: the two directions of `openai/map-*-request.ts` and the response builders, for an
 * engine that speaks OpenAI's wire format itself.
 */

type Body = Record<string, unknown>;

function samplingFields(options: GenerationOptions): Body {
  const body: Body = {};
  if (options.maxTokens !== undefined) body['max_tokens'] = options.maxTokens;
  if (options.temperature !== undefined) body['temperature'] = options.temperature;
  if (options.topP !== undefined) body['top_p'] = options.topP;
  // Not OpenAI's, but llama-server, vLLM, Ollama and Trosyn read them; sent only when the client did.
  if (options.topK !== undefined) body['top_k'] = options.topK;
  if (options.minP !== undefined) body['min_p'] = options.minP;
  if (options.seed !== undefined) body['seed'] = options.seed;
  if (options.stop !== undefined) body['stop'] = [...options.stop];
  if (options.presencePenalty !== undefined) body['presence_penalty'] = options.presencePenalty;
  if (options.frequencyPenalty !== undefined) body['frequency_penalty'] = options.frequencyPenalty;
  if (options.logitBias !== undefined) body['logit_bias'] = { ...options.logitBias };
  const format = options.responseFormat;
  if (format !== undefined && format.type !== 'text') {
    body['response_format'] =
      format.type === 'json_object' ? { type: 'json_object' } : { type: 'json_schema', json_schema: { name: format.name ?? 'response', schema: format.schema } };
  }
  return body;
}

function wireMessage(message: ChatMessage): Body {
  switch (message.role) {
    case 'assistant':
      return {
        role: 'assistant',
        content: message.content,
        ...(message.toolCalls === undefined || message.toolCalls.length === 0
          ? {}
          : { tool_calls: message.toolCalls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } })) }),
      };
    case 'tool':
      return { role: 'tool', tool_call_id: message.toolCallId, content: message.content };
    default:
      return { role: message.role, content: message.content };
  }
}

/** The `/chat/completions` body for `request` and the upstream's `model`. */
export function chatBody(model: string, request: ChatRequest, stream: boolean): Body {
  const body: Body = { model, messages: request.messages.map(wireMessage), ...samplingFields(request) };
  if (request.tools !== undefined && request.tools.length > 0) {
    body['tools'] = request.tools.map((tool) => ({ type: 'function', function: { ...tool } }));
    const choice = request.toolChoice;
    if (choice !== undefined) body['tool_choice'] = typeof choice === 'string' ? choice : { type: 'function', function: { name: choice.name } };
  }
  if (stream) Object.assign(body, { stream: true, stream_options: { include_usage: true } });
  return body;
}

/** The `/completions` body for `request` and the upstream's `model`. */
export function completionBody(model: string, request: CompletionRequest, stream: boolean): Body {
  const body: Body = { model, prompt: typeof request.prompt === 'string' ? request.prompt : [...request.prompt], ...samplingFields(request) };
  if (stream) Object.assign(body, { stream: true, stream_options: { include_usage: true } });
  return body;
}

interface WireUsage {
  readonly prompt_tokens?: number;
  readonly completion_tokens?: number;
  readonly prompt_tokens_details?: { readonly cached_tokens?: number } | null;
}

/** A choice of a chat answer or chunk, as far as it is read here. */
interface WireChoice {
  readonly text?: string;
  readonly finish_reason?: string | null;
  readonly message?: { readonly content?: string | null; readonly tool_calls?: readonly WireToolCall[] | null };
  readonly delta?: { readonly content?: string | null; readonly tool_calls?: readonly WireToolCallDelta[] | null };
}

interface WireToolCall {
  readonly id?: string;
  readonly function?: { readonly name?: string; readonly arguments?: string };
}

interface WireToolCallDelta extends WireToolCall {
  readonly index?: number;
}

/** A chat or text completion answer or chunk. */
export interface WireAnswer {
  readonly choices?: readonly WireChoice[];
  readonly usage?: WireUsage | null;
}

/** Parses one JSON answer or chunk; a body that is not JSON is the upstream's failure, not the client's. */
export function parseAnswer(url: string, text: string): WireAnswer {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null) return value as WireAnswer;
  } catch {
    // Reported below.
  }
  throw new UpstreamEngineError('upstream-failed', `The upstream engine at ${url} sent an answer that is not OpenAI's JSON: ${text.slice(0, 200)}`);
}

/** OpenAI's finish reasons beyond the port's three (`content_filter`, `function_call`) end a turn like `stop`. */
export function finishReasonOf(value: string | null | undefined, hasToolCalls: boolean): FinishReason {
  if (value === 'length') return 'length';
  if (value === 'tool_calls' || (hasToolCalls && value !== 'stop')) return 'tool_calls';
  return 'stop';
}

/** The port's usage; `fallbackCompletionTokens` counts chunks when an upstream sends no usage. */
export function usageOf(usage: WireUsage | null | undefined, fallbackCompletionTokens = 0): Usage {
  return {
    promptTokens: usage?.prompt_tokens ?? 0,
    completionTokens: usage?.completion_tokens ?? fallbackCompletionTokens,
    cachedPromptTokens: usage?.prompt_tokens_details?.cached_tokens ?? 0,
  };
}

function firstChoice(url: string, answer: WireAnswer): WireChoice {
  const choice = answer.choices?.[0];
  if (choice === undefined) throw new UpstreamEngineError('upstream-failed', `The upstream engine at ${url} answered without a choice.`);
  return choice;
}

/** A non-streamed chat answer as the port's result. */
export function chatResultOf(url: string, answer: WireAnswer): ChatResult {
  const choice = firstChoice(url, answer);
  const toolCalls: ToolCall[] = (choice.message?.tool_calls ?? []).map((call, index) => ({
    id: call.id ?? `call_${index}`,
    name: call.function?.name ?? '',
    arguments: call.function?.arguments ?? '{}',
  }));
  return {
    content: choice.message?.content ?? null,
    toolCalls,
    finishReason: finishReasonOf(choice.finish_reason, toolCalls.length > 0),
    usage: usageOf(answer.usage),
  };
}

/** A non-streamed text completion as the port's result. */
export function completionResultOf(url: string, answer: WireAnswer): CompletionResult {
  const choice = firstChoice(url, answer);
  return { text: choice.text ?? '', finishReason: finishReasonOf(choice.finish_reason, false), usage: usageOf(answer.usage) };
}

/**
 * Assembles streamed tool calls: OpenAI streams a call's name and arguments in pieces keyed by
 * `index`; the port hands a call over whole.
 */
export class ToolCallAssembler {
  readonly #calls = new Map<number, { id: string; name: string; arguments: string }>();

  /** Adds the pieces of one chunk's `delta.tool_calls`. */
  add(pieces: readonly WireToolCallDelta[]): void {
    for (const [position, piece] of pieces.entries()) {
      const index = piece.index ?? position;
      const call = this.#calls.get(index) ?? { id: '', name: '', arguments: '' };
      if (piece.id !== undefined && piece.id !== '') call.id = piece.id;
      call.name += piece.function?.name ?? '';
      call.arguments += piece.function?.arguments ?? '';
      this.#calls.set(index, call);
    }
  }

  /** The whole calls, in index order. */
  calls(): readonly (ToolCall & { readonly index: number })[] {
    return [...this.#calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, call], position) => ({ index: position, id: call.id === '' ? `call_${index}` : call.id, name: call.name, arguments: call.arguments === '' ? '{}' : call.arguments }));
  }
}
