import { describe, expect, it } from 'vitest';
import { SseParser } from './sse-parser.js';

describe('SseParser', () => {
  it('parses events split across chunks at any byte', () => {
    const text = 'id: a:1\nevent: ready\ndata: {"x":1}\n\n: keep-alive\n\ndata: one\ndata: two\n\n';
    for (let cut = 0; cut <= text.length; cut++) {
      const parser = new SseParser();
      const events = [...parser.push(text.slice(0, cut)), ...parser.push(text.slice(cut))];
      expect(events).toEqual([
        { event: 'ready', data: '{"x":1}', id: 'a:1' },
        { event: 'message', data: 'one\ntwo', id: 'a:1' },
      ]);
    }
  });

  it('accepts CRLF and CR line endings, even with CRLF split between chunks', () => {
    const parser = new SseParser();
    expect([...parser.push('data: a\r'), ...parser.push('\n\r\n'), ...parser.push('data:b\r\r: next')]).toEqual([
      { event: 'message', data: 'a', id: undefined },
      { event: 'message', data: 'b', id: undefined },
    ]);
  });

  it('dispatches nothing for an event without data, and keeps an incomplete event buffered', () => {
    const parser = new SseParser();
    expect(parser.push('event: ping\n\n')).toEqual([]);
    expect(parser.push('data: half')).toEqual([]);
    expect(parser.push('\n\n')).toEqual([{ event: 'message', data: 'half', id: undefined }]);
  });
});
