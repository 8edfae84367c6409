import type { ChatDelta, FinishReason, ToolCall, Usage } from '../../engine.js';
import type { OpenAiErrorBody } from '../../error-handler.js';
import { finishedResponse, functionCallItem, inProgressResponse, itemStatusOf, messageItem, type ResponseHead } from './response-object.js';
import type { ItemStatus, OutputItem, ResponseObject } from './response-wire-types.js';

/** Size of the pieces a call's JSON arguments are streamed in, as the chat route streams them. */
const ARGUMENT_PIECE_LENGTH = 24;

/** A Responses stream event (`type`, `sequence_number` and the event's own fields). */
export interface ResponseStreamEvent {
  readonly type: string;
  readonly sequence_number: number;
  readonly [field: string]: unknown;
}

/**
 * Called with the finished response before `response.completed` goes out (to store it);
 * returns the response as it is to be sent (`store: false` when it could not be stored).
 */
export type OnResponseFinished = (response: ResponseObject) => Promise<ResponseObject>;

/**
 * Turns the engine's chat deltas into OpenAI's Responses event sequence: `response.created`,
 * `response.in_progress`; for text `response.output_item.added`, `response.content_part.added`,
 * `response.output_text.delta`…, `response.output_text.done`, `response.content_part.done`,
 * `response.output_item.done`; for each tool call an item with
 * `response.function_call_arguments.delta`… and `.done`; then `response.completed` (or
 * `response.incomplete` when cut by the token limit). Every event has the next
 * `sequence_number`. Stateful: one per response.
 */
export class ResponseEventStream {
  readonly #head: ResponseHead;
  readonly #onFinished: OnResponseFinished;
  readonly #output: OutputItem[] = [];
  #sequence = 0;
  #openText: { readonly id: string; readonly index: number; text: string } | undefined;
  #usage: Usage | undefined;

  constructor(head: ResponseHead, onFinished: OnResponseFinished) {
    this.#head = head;
    this.#onFinished = onFinished;
  }

  /** The usage of the finished generation (undefined before `done`). */
  get usage(): Usage | undefined {
    return this.#usage;
  }

  /**
   * The events for a stream of engine deltas. The engine's first delta is awaited before
   * `response.created` is produced, so an early failure (queue full, context too long) still
   * becomes an HTTP error status rather than an event.
   */
  async *events(source: AsyncIterable<ChatDelta>): AsyncGenerator<ResponseStreamEvent> {
    const iterator = source[Symbol.asyncIterator]();
    try {
      let next = await iterator.next();
      const created = inProgressResponse(this.#head);
      yield this.#event('response.created', { response: created });
      yield this.#event('response.in_progress', { response: created });
      while (next.done !== true) {
        const delta = next.value;
        switch (delta.type) {
          case 'text':
            yield* this.#text(delta.text);
            break;
          case 'tool-call':
            yield* this.#closeText('completed');
            yield* this.#toolCall({ id: delta.id, name: delta.name, arguments: delta.arguments });
            break;
          case 'done':
            yield* this.#finish(delta.finishReason, delta.usage);
            return;
        }
        next = await iterator.next();
      }
    } finally {
      await iterator.return?.();
    }
  }

  /** The `error` event for a failure after the stream started, in OpenAI's shape. */
  errorEvent(body: OpenAiErrorBody): ResponseStreamEvent {
    return this.#event('error', { code: body.error.code, message: body.error.message, param: body.error.param });
  }

  #event(type: string, fields: Record<string, unknown>): ResponseStreamEvent {
    return { type, sequence_number: this.#sequence++, ...fields };
  }

  *#openMessage(): Generator<ResponseStreamEvent> {
    const index = this.#output.length;
    const id = this.#head.ids.output('message', index);
    this.#openText = { id, index, text: '' };
    this.#output.push(messageItem(id, '', 'in_progress'));
    yield this.#event('response.output_item.added', { output_index: index, item: { id, type: 'message', status: 'in_progress', role: 'assistant', content: [] } });
    yield this.#event('response.content_part.added', { item_id: id, output_index: index, content_index: 0, part: { type: 'output_text', text: '', annotations: [], logprobs: [] } });
  }

  *#text(text: string): Generator<ResponseStreamEvent> {
    if (text === '') return;
    if (this.#openText === undefined) yield* this.#openMessage();
    const open = this.#openText!;
    open.text += text;
    yield this.#event('response.output_text.delta', { item_id: open.id, output_index: open.index, content_index: 0, delta: text, logprobs: [] });
  }

  *#closeText(status: ItemStatus): Generator<ResponseStreamEvent> {
    const open = this.#openText;
    if (open === undefined) return;
    this.#openText = undefined;
    const item = messageItem(open.id, open.text, status);
    this.#output[open.index] = item;
    const part = { type: 'output_text', text: open.text, annotations: [], logprobs: [] };
    yield this.#event('response.output_text.done', { item_id: open.id, output_index: open.index, content_index: 0, text: open.text, logprobs: [] });
    yield this.#event('response.content_part.done', { item_id: open.id, output_index: open.index, content_index: 0, part });
    yield this.#event('response.output_item.done', { output_index: open.index, item });
  }

  *#toolCall(call: ToolCall): Generator<ResponseStreamEvent> {
    const index = this.#output.length;
    const id = this.#head.ids.output('function_call', index);
    this.#output.push(functionCallItem(id, call, 'completed'));
    yield this.#event('response.output_item.added', { output_index: index, item: { ...functionCallItem(id, call, 'in_progress'), arguments: '' } });
    for (let start = 0; start < call.arguments.length; start += ARGUMENT_PIECE_LENGTH) {
      yield this.#event('response.function_call_arguments.delta', { item_id: id, output_index: index, delta: call.arguments.slice(start, start + ARGUMENT_PIECE_LENGTH) });
    }
    yield this.#event('response.function_call_arguments.done', { item_id: id, name: call.name, output_index: index, arguments: call.arguments });
    yield this.#event('response.output_item.done', { output_index: index, item: this.#output[index] });
  }

  async *#finish(finishReason: FinishReason, usage: Usage): AsyncGenerator<ResponseStreamEvent> {
    // Like the non-streamed answer, a response without tool calls always has a message, even empty.
    if (this.#output.length === 0) yield* this.#openMessage();
    yield* this.#closeText(itemStatusOf(finishReason));
    this.#usage = usage;
    // Stored before the client hears of it: a `previous_response_id` sent right after works.
    const response = await this.#onFinished(finishedResponse(this.#head, this.#output, finishReason, usage));
    yield this.#event(response.status === 'incomplete' ? 'response.incomplete' : 'response.completed', { response });
  }
}
