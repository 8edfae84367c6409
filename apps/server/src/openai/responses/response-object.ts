import type { ChatResult, FinishReason, ToolCall, Usage } from '../../engine.js';
import type { ResponseIds } from './response-ids.js';
import type { ItemStatus, OutputItem, ResponseObject, ResponseSettings, ResponseUsage } from './response-wire-types.js';

/** What every state of one response shares: its id, creation time, model and echoed settings. */
export interface ResponseHead {
  readonly ids: ResponseIds;
  /** Unix seconds. */
  readonly createdAt: number;
  readonly model: string;
  readonly settings: ResponseSettings;
}

/** Maps engine token accounting to the Responses `usage`. */
export function toResponseUsage(usage: Usage): ResponseUsage {
  return {
    input_tokens: usage.promptTokens,
    // The prompt tokens that were evaluated stay in the slot's KV cache for the next request.
    input_tokens_details: { cached_tokens: usage.cachedPromptTokens, cache_write_tokens: usage.promptTokens - usage.cachedPromptTokens },
    output_tokens: usage.completionTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: usage.promptTokens + usage.completionTokens,
  };
}

/** An assistant message item holding `text`. */
export function messageItem(id: string, text: string, status: ItemStatus): OutputItem {
  return { id, type: 'message', role: 'assistant', status, content: [{ type: 'output_text', text, annotations: [], logprobs: [] }] };
}

/** A `function_call` item for one of the engine's tool calls. */
export function functionCallItem(id: string, call: ToolCall, status: ItemStatus): OutputItem {
  return { id, type: 'function_call', status, call_id: call.id, name: call.name, arguments: call.arguments };
}

/** A message cut by the token limit is `incomplete`, as is the response holding it. */
export function itemStatusOf(finishReason: FinishReason): ItemStatus {
  return finishReason === 'length' ? 'incomplete' : 'completed';
}

/**
 * The output items of a finished generation: the assistant's message (left out when the model
 * only called tools), then one `function_call` item per call, in order.
 */
export function outputItemsOf(ids: ResponseIds, result: ChatResult): OutputItem[] {
  const status = itemStatusOf(result.finishReason);
  const items: OutputItem[] = [];
  const text = result.content ?? '';
  if (text !== '' || result.toolCalls.length === 0) items.push(messageItem(ids.output('message', 0), text, status));
  for (const call of result.toolCalls) items.push(functionCallItem(ids.output('function_call', items.length), call, 'completed'));
  return items;
}

/** The response before any output: what `response.created` carries. */
export function inProgressResponse(head: ResponseHead): ResponseObject {
  return buildResponse(head, { status: 'in_progress', output: [], usage: null, completedAt: null });
}

/** The response of a finished generation: `completed`, or `incomplete` when cut by the token limit. */
export function finishedResponse(head: ResponseHead, output: readonly OutputItem[], finishReason: FinishReason, usage: Usage, now = Date.now()): ResponseObject {
  const incomplete = finishReason === 'length';
  return buildResponse(head, {
    status: incomplete ? 'incomplete' : 'completed',
    output,
    usage: toResponseUsage(usage),
    completedAt: incomplete ? null : Math.floor(now / 1000),
  });
}

interface ResponseState {
  readonly status: ResponseObject['status'];
  readonly output: readonly OutputItem[];
  readonly usage: ResponseUsage | null;
  readonly completedAt: number | null;
}

function buildResponse(head: ResponseHead, state: ResponseState): ResponseObject {
  return {
    id: head.ids.responseId,
    object: 'response',
    created_at: head.createdAt,
    status: state.status,
    completed_at: state.completedAt,
    error: null,
    incomplete_details: state.status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    model: head.model,
    output: state.output,
    ...(state.usage === null ? {} : { usage: state.usage }),
    ...head.settings,
  };
}
