import { describe, expect, it } from 'vitest';
import { assertMatchesSpec } from './openai-spec.js';

describe('assertMatchesSpec', () => {
  it('rejects an error body without code', () => {
    expect(() => assertMatchesSpec('ErrorResponse', { error: { message: 'x', type: 't', param: null } })).toThrow(/ErrorResponse/);
  });
  it('accepts a chunk with usage null', () => {
    assertMatchesSpec('CreateChatCompletionStreamResponse', {
      id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'm', usage: null,
      choices: [{ index: 0, delta: { content: 'x' }, logprobs: null, finish_reason: null }],
    });
  });
});
