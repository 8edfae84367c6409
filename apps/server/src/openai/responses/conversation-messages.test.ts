import { describe, expect, it } from 'vitest';
import { ApiError } from '../../errors.js';
import { checkCallOutputs, toChatMessages } from './conversation-messages.js';
import type { ResponseItem } from './response-wire-types.js';

const user = (text: string): ResponseItem => ({ id: `u-${text}`, type: 'message', role: 'user', status: 'completed', content: [{ type: 'input_text', text }] });
const assistant = (text: string): ResponseItem => ({ id: `a-${text}`, type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text, annotations: [], logprobs: [] }] });
const call = (callId: string): ResponseItem => ({ id: `c-${callId}`, type: 'function_call', status: 'completed', call_id: callId, name: 'f', arguments: '{}' });
const output = (callId: string): ResponseItem => ({ id: `o-${callId}`, type: 'function_call_output', status: 'completed', call_id: callId, output: 'ok' });

describe('toChatMessages', () => {
  it('puts instructions first and merges a turn\'s text and calls into one assistant message', () => {
    expect(toChatMessages('Rules.', [user('Q'), assistant('Let me see.'), call('1'), call('2'), output('1'), output('2'), assistant('Done.')])).toEqual([
      { role: 'system', content: 'Rules.' },
      { role: 'user', content: 'Q' },
      { role: 'assistant', content: 'Let me see.', toolCalls: [{ id: '1', name: 'f', arguments: '{}' }, { id: '2', name: 'f', arguments: '{}' }] },
      { role: 'tool', toolCallId: '1', content: 'ok' },
      { role: 'tool', toolCallId: '2', content: 'ok' },
      { role: 'assistant', content: 'Done.' },
    ]);
  });

  it('starts an assistant message without text for calls that follow a user message', () => {
    expect(toChatMessages(null, [user('Q'), call('1')])).toEqual([{ role: 'user', content: 'Q' }, { role: 'assistant', content: null, toolCalls: [{ id: '1', name: 'f', arguments: '{}' }] }]);
  });
});

describe('checkCallOutputs', () => {
  it('accepts outputs of calls made earlier in the input or in the stored conversation', () => {
    expect(() => checkCallOutputs([call('old')], [output('old'), call('new'), output('new')])).not.toThrow();
  });

  it('names the input item whose call_id no call made', () => {
    const error = (() => {
      try {
        checkCallOutputs([], [user('Q'), output('nope'), call('nope')]);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).param).toBe('input[1].call_id');
  });
});
