import { ApiError } from '../../errors.js';
import type { ResponseItem } from './response-wire-types.js';

/** Paging of `GET /v1/responses/{id}/input_items`. */
export interface InputItemPage {
  /** 1 to 100. */
  readonly limit: number;
  /** `desc` (OpenAI's default): the newest item first. */
  readonly order: 'asc' | 'desc';
  /** Start after the item with this id. */
  readonly after: string | undefined;
}

/** OpenAI's `ResponseItemList` over a stored response's input items. */
export interface InputItemList {
  readonly object: 'list';
  readonly data: readonly ResponseItem[];
  readonly first_id: string;
  readonly last_id: string;
  readonly has_more: boolean;
}

/**
 * One page of a response's input items, ordered and cut as OpenAI's `listInputItems` does.
 * An `after` id that is not among the items is a 400 naming it.
 */
export function listInputItems(items: readonly ResponseItem[], page: InputItemPage): InputItemList {
  const ordered = page.order === 'asc' ? [...items] : [...items].reverse();
  let start = 0;
  if (page.after !== undefined) {
    const position = ordered.findIndex((item) => item.id === page.after);
    if (position === -1) throw new ApiError('invalid-request', `Invalid value for 'after': no input item with id '${page.after}' in this response.`, { param: 'after' });
    start = position + 1;
  }
  const data = ordered.slice(start, start + page.limit);
  return { object: 'list', data, first_id: data[0]?.id ?? '', last_id: data.at(-1)?.id ?? '', has_more: start + page.limit < ordered.length };
}
