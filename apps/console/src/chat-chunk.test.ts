import { describe, expect, it } from 'vitest';
import { readChatStreamData } from './chat-chunk.js';

describe('readChatStreamData', () => {
  it('reads text deltas, the finish reason, usage, errors and [DONE]', () => {
    expect(readChatStreamData('{"choices":[{"delta":{"role":"assistant","content":""},"finish_reason":null}]}')).toEqual([]);
    expect(readChatStreamData('{"choices":[{"delta":{"content":"Once"},"finish_reason":null}],"usage":null}')).toEqual([{ type: 'text', text: 'Once' }]);
    expect(readChatStreamData('{"choices":[{"delta":{},"finish_reason":"length"}]}')).toEqual([{ type: 'finish', reason: 'length' }]);
    expect(readChatStreamData('{"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":30,"total_tokens":42}}')).toEqual([
      { type: 'usage', promptTokens: 12, completionTokens: 30 },
    ]);
    expect(readChatStreamData('{"error":{"message":"context too long"}}')).toEqual([{ type: 'error', message: 'context too long' }]);
    expect(readChatStreamData('[DONE]')).toEqual([{ type: 'done' }]);
  });
});
