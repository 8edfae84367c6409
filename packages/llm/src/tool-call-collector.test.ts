import { describe, expect, it } from 'vitest';
import { ToolCallCollector } from './tool-call-collector.js';

describe('ToolCallCollector', () => {
  it('returns finished calls with their parsed parameters, ignoring chunks when not cut', () => {
    const collector = new ToolCallCollector();
    collector.onChunk({ callIndex: 0, functionName: 'f', paramsChunk: '{"a":1}' });
    const calls = collector.calls([{ functionName: 'f', params: { a: 1 } }], false, undefined);
    expect(calls).toEqual([{ id: expect.stringMatching(/^call_[0-9a-f]{24}$/) as unknown, name: 'f', arguments: '{"a":1}' }]);
  });

  it('adds the call that was cut, with its partial text, after the finished ones', () => {
    const collector = new ToolCallCollector();
    collector.onChunk({ callIndex: 0, functionName: 'f', paramsChunk: '{"a":1}' });
    collector.onChunk({ callIndex: 1, functionName: 'g', paramsChunk: '{"b"' });
    collector.onChunk({ callIndex: 1, functionName: 'g', paramsChunk: ': "x' });
    const calls = collector.calls([{ functionName: 'f', params: { a: 1 } }], true, undefined);
    expect(calls.map(({ name, arguments: args }) => [name, args])).toEqual([
      ['f', '{"a":1}'],
      ['g', '{"b": "x'],
    ]);
  });

  it('keeps a forced call cut before its parameters as the sole function with empty arguments', () => {
    expect(new ToolCallCollector().calls(undefined, true, 'only')).toMatchObject([{ name: 'only', arguments: '' }]);
    expect(new ToolCallCollector().calls(undefined, true, undefined)).toEqual([]);
  });
});
