import { randomBytes } from 'node:crypto';

/** The kind of item an id names; its prefix is OpenAI's. */
export type ItemKind = 'message' | 'function_call' | 'function_call_output';

const prefixes: Readonly<Record<ItemKind, string>> = { message: 'msg', function_call: 'fc', function_call_output: 'fco' };

// An item id carries its response's key and its place (`i`nput or `o`utput list, index), so an
// `item_reference` is resolved with one read of the response that holds it, on any node,
// without an index of items beside the responses.
const itemIdPattern = /^(?:msg|fc|fco)_([0-9a-f]{48})_([io])(\d{1,6})$/;

/** Where an item id points: its response and its place in that response's lists. */
export interface ItemLocation {
  readonly responseId: string;
  readonly list: 'input' | 'output';
  readonly index: number;
}

/**
 * The ids of one response and its items: `resp_<48 hex>`, and item ids
 * `msg_<same 48 hex>_o0` (output item 0), `fc_…_o1`, `msg_…_i0` (input item 0).
 */
export class ResponseIds {
  readonly responseId: string;
  readonly #key: string;

  constructor(key = randomBytes(24).toString('hex')) {
    this.#key = key;
    this.responseId = `resp_${key}`;
  }

  /** The id of input item `index`. */
  input(kind: ItemKind, index: number): string {
    return `${prefixes[kind]}_${this.#key}_i${index}`;
  }

  /** The id of output item `index`. */
  output(kind: ItemKind, index: number): string {
    return `${prefixes[kind]}_${this.#key}_o${index}`;
  }
}

/** Where an item id of this server points, or undefined for any other string. */
export function locateItem(itemId: string): ItemLocation | undefined {
  const match = itemIdPattern.exec(itemId);
  if (match === null) return undefined;
  return { responseId: `resp_${match[1]!}`, list: match[2] === 'i' ? 'input' : 'output', index: Number(match[3]) };
}
