import { describe, expect, it } from 'vitest';
import { toChatHistory } from './chat-history.js';
import { LlmError } from './errors.js';

describe('toChatHistory', () => {
  it('maps roles and ends with an empty model turn', () => {
    expect(
      toChatHistory([
        { role: 'developer', content: 'be brief' },
        { role: 'user', content: 'hi' },
      ]),
    ).toEqual([
      { type: 'system', text: 'be brief' },
      { type: 'user', text: 'hi' },
      { type: 'model', response: [] },
    ]);
  });

  it('attaches tool results to the calls they answer and lets the model continue that turn', () => {
    const history = toChatHistory([
      { role: 'user', content: 'weather?' },
      { role: 'assistant', content: null, toolCalls: [{ id: 'c1', name: 'weather', arguments: '{"city":"Oslo"}' }, { id: 'c2', name: 'time', arguments: '' }] },
      { role: 'tool', toolCallId: 'c2', content: 'noon' },
      { role: 'tool', toolCallId: 'c1', content: '{"temp":3}' },
    ]);
    expect(history).toHaveLength(2);
    expect(history[1]).toEqual({
      type: 'model',
      response: [
        { type: 'functionCall', name: 'weather', params: { city: 'Oslo' }, result: { temp: 3 }, startsNewChunk: true },
        { type: 'functionCall', name: 'time', params: {}, result: 'noon', startsNewChunk: false },
      ],
    });
  });

  it('rejects a tool result for an unknown call, bad arguments and empty input', () => {
    const code = (fn: () => unknown): unknown => {
      try {
        fn();
      } catch (error) {
        return error instanceof LlmError ? [error.code, error.details.param] : error;
      }
      return 'no error';
    };
    expect(code(() => toChatHistory([{ role: 'user', content: 'x' }, { role: 'tool', toolCallId: 'nope', content: '1' }]))).toEqual([
      'invalid-request',
      'messages[1].toolCallId',
    ]);
    expect(
      code(() => toChatHistory([{ role: 'assistant', content: null, toolCalls: [{ id: 'a', name: 'f', arguments: '{bad' }] }])),
    ).toEqual(['invalid-request', 'messages[0].toolCalls[0].arguments']);
    expect(code(() => toChatHistory([]))).toEqual(['invalid-request', 'messages']);
  });
});
