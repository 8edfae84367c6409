import { SyncError, type JsonValue, type SyncEngine } from '@trosyn/sync-core';
import { ApiError } from '../../errors.js';
import { locateItem } from './response-ids.js';
import type { ResponseItem, ResponseObject } from './response-wire-types.js';

/** The item type under which responses live in the replicated data store. */
export const RESPONSE_ITEM_TYPE = 'response';

/** The longest `previous_response_id` chain followed; a longer one would not fit a context anyway. */
export const MAX_CONVERSATION_RESPONSES = 1000;

/** A stored response: the response object and the input items it was generated from. */
export interface StoredResponse {
  readonly response: ResponseObject;
  readonly input: readonly ResponseItem[];
}

/** The part of `SyncEngine` the store uses. */
export type ResponseStoreEngine = Pick<SyncEngine, 'get' | 'create' | 'delete'>;

const responseIdPattern = /^resp_[0-9a-f]{48}$/;

// Items of type `response` come from this node or an authenticated peer of the office; a shape
// check keeps a damaged one from turning into a 500 deep inside a request.
function isStoredResponse(data: JsonValue): data is JsonValue & StoredResponse {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return false;
  const record = data as { response?: unknown; input?: unknown };
  const response = record.response as { id?: unknown; output?: unknown } | null | undefined;
  return typeof response === 'object' && response !== null && typeof response.id === 'string' && Array.isArray(response.output) && Array.isArray(record.input);
}

/**
 * Responses in the node's replicated data store: each is one item of type `response` whose id
 * is the response id, so LAN sync carries it to every node of the office and a conversation
 * continues (`previous_response_id`) on whichever node the next request reaches. Deleting one
 * writes a tombstone that replicates too. Errors of the engine pass through (the route maps
 * them with `engineCall`).
 */
export class ResponseStore {
  readonly #engine: ResponseStoreEngine;

  constructor(engine: ResponseStoreEngine) {
    this.#engine = engine;
  }

  /**
   * Stores a finished response with its input items. False when it is larger than the data
   * store takes for one item (`maxItemBytes`, 1 MiB by default): the answer is not lost for
   * that, it is answered with `store: false`.
   */
  async save(stored: StoredResponse): Promise<boolean> {
    try {
      await this.#engine.create({ id: stored.response.id, type: RESPONSE_ITEM_TYPE, data: stored as unknown as JsonValue });
      return true;
    } catch (error) {
      // The id is new and the type valid: the only argument the engine can refuse is the size.
      if (error instanceof SyncError && error.code === 'invalid-argument') return false;
      throw error;
    }
  }

  /** The stored response with this id, or undefined (never stored, deleted, or not a response id). */
  async get(responseId: string): Promise<StoredResponse | undefined> {
    if (!responseIdPattern.test(responseId)) return undefined;
    const item = await this.#engine.get(responseId);
    if (item === undefined || item.type !== RESPONSE_ITEM_TYPE || !isStoredResponse(item.data)) return undefined;
    return item.data;
  }

  /** Deletes a stored response; false when there was none. */
  async delete(responseId: string): Promise<boolean> {
    if ((await this.get(responseId)) === undefined) return false;
    return (await this.#engine.delete(responseId)) !== undefined;
  }

  /** The stored item (input or output) with this id, for an `item_reference`. */
  async findItem(itemId: string): Promise<ResponseItem | undefined> {
    const location = locateItem(itemId);
    if (location === undefined) return undefined;
    const stored = await this.get(location.responseId);
    const list: readonly ResponseItem[] | undefined = location.list === 'input' ? stored?.input : stored?.response.output;
    const item = list?.[location.index];
    return item?.id === itemId ? item : undefined;
  }

  /**
   * The items of the conversation that ends with `responseId`, oldest first: for each response
   * of the `previous_response_id` chain, its input items then its output items. Throws a 400
   * `previous_response_not_found` when the response, or one before it, is not stored.
   */
  async conversation(responseId: string): Promise<ResponseItem[]> {
    const chain: StoredResponse[] = [];
    for (let id: string | null = responseId; id !== null; ) {
      if (chain.length === MAX_CONVERSATION_RESPONSES) {
        throw new ApiError('invalid-request', `The conversation of '${responseId}' is longer than ${MAX_CONVERSATION_RESPONSES} responses; start a new one.`, { param: 'previous_response_id' });
      }
      const stored = await this.get(id);
      if (stored === undefined) {
        const where = id === responseId ? '' : ` (it is earlier in the conversation of '${responseId}')`;
        throw new ApiError('invalid-request', `Previous response with id '${id}' not found${where}. Responses sent with store: false, or deleted, cannot be continued.`, {
          param: 'previous_response_id',
          openaiCode: 'previous_response_not_found',
        });
      }
      chain.push(stored);
      id = stored.response.previous_response_id;
    }
    return chain.reverse().flatMap((stored) => [...stored.input, ...stored.response.output]);
  }
}
