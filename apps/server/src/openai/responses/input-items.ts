import { ApiError } from '../../errors.js';
import type { ResponseIds } from './response-ids.js';
import type { InputContentPartBody, InputItemBody, ResponseItem } from './response-wire-types.js';

/** Finds a stored item by id (an `item_reference`), or undefined when there is none. */
export type ItemResolver = (itemId: string) => Promise<ResponseItem | undefined>;

function missing(param: string): ApiError {
  return new ApiError('invalid-request', `Missing required parameter: '${param}'.`, { param, openaiCode: 'missing_required_parameter' });
}

function unsupported(param: string, message: string): ApiError {
  return new ApiError('invalid-request', message, { param, openaiCode: 'unsupported_value' });
}

// Text parts are joined with newlines, as the chat route flattens content parts.
function textOfParts(parts: readonly InputContentPartBody[], param: string, allowed: readonly string[]): string {
  return parts
    .map((part, index) => {
      const partParam = `${param}[${index}]`;
      if (!allowed.includes(part.type)) {
        throw unsupported(
          `${partParam}.type`,
          `Invalid content part in '${partParam}': '${part.type}' parts are not supported; this server's models take text only ` +
            `(${allowed.map((type) => `'${type}'`).join(', ')}).`,
        );
      }
      const text = part.type === 'refusal' ? part.refusal : part.text;
      if (typeof text !== 'string') throw missing(`${partParam}.${part.type === 'refusal' ? 'refusal' : 'text'}`);
      return text;
    })
    .join('\n');
}

function requiredString(value: string | null | undefined, param: string): string {
  if (typeof value !== 'string' || value === '') throw missing(param);
  return value;
}

// Present, possibly empty (a function without parameters may be called with '').
function requiredText(value: string | undefined, param: string): string {
  if (typeof value !== 'string') throw missing(param);
  return value;
}

function messageItem(item: InputItemBody, param: string, id: string): ResponseItem {
  if (item.role === undefined) throw missing(`${param}.role`);
  if (item.content === undefined) throw missing(`${param}.content`);
  const assistant = item.role === 'assistant';
  const text =
    typeof item.content === 'string'
      ? item.content
      : textOfParts(item.content, `${param}.content`, assistant ? ['output_text', 'input_text', 'refusal'] : ['input_text']);
  if (assistant) {
    return { id, type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text, annotations: [], logprobs: [] }] };
  }
  return { id, type: 'message', role: item.role as 'user' | 'system' | 'developer', status: 'completed', content: [{ type: 'input_text', text }] };
}

function outputText(output: InputItemBody['output'], param: string): string {
  if (output === undefined) throw missing(param);
  return typeof output === 'string' ? output : textOfParts(output, param, ['input_text', 'output_text']);
}

async function referencedItem(item: InputItemBody, param: string, resolve: ItemResolver): Promise<ResponseItem> {
  const itemId = requiredString(item.id, `${param}.id`);
  const found = await resolve(itemId);
  if (found === undefined) {
    throw new ApiError('invalid-request', `Item with id '${itemId}' not found (stored responses only; a response sent with store: false keeps no items).`, { param: `${param}.id`, openaiCode: 'item_not_found' });
  }
  return found;
}

/**
 * Turns a request's `input` into stored items with ids of this response: a string is one user
 * message; messages, `function_call` and `function_call_output` items are normalised (content
 * as text parts), and an `item_reference` is replaced by the stored item it names. Anything
 * else is a 400 naming the item's `type`.
 */
export async function normaliseInput(input: string | readonly InputItemBody[] | undefined, ids: ResponseIds, resolve: ItemResolver): Promise<ResponseItem[]> {
  if (input === undefined) return [];
  if (typeof input === 'string') return [{ id: ids.input('message', 0), type: 'message', role: 'user', status: 'completed', content: [{ type: 'input_text', text: input }] }];
  const items: ResponseItem[] = [];
  for (const [index, item] of input.entries()) {
    const param = `input[${index}]`;
    const type = item.type ?? 'message';
    switch (type) {
      case 'message':
        items.push(messageItem(item, param, ids.input('message', index)));
        break;
      case 'function_call':
        items.push({
          id: ids.input('function_call', index),
          type: 'function_call',
          status: 'completed',
          call_id: requiredString(item.call_id, `${param}.call_id`),
          name: requiredString(item.name, `${param}.name`),
          arguments: requiredText(item.arguments, `${param}.arguments`),
        });
        break;
      case 'function_call_output':
        items.push({
          id: ids.input('function_call_output', index),
          type: 'function_call_output',
          status: 'completed',
          call_id: requiredString(item.call_id, `${param}.call_id`),
          output: outputText(item.output, `${param}.output`),
        });
        break;
      case 'item_reference': {
        const found = await referencedItem(item, param, resolve);
        const kind = found.type;
        items.push({ ...found, id: ids.input(kind, index) } as ResponseItem);
        break;
      }
      default:
        throw unsupported(
          `${param}.type`,
          `Invalid value for '${param}.type': '${type}' items are not supported by this server. ` +
            "Supported: 'message', 'function_call', 'function_call_output', 'item_reference'.",
        );
    }
  }
  return items;
}
