import { describe, expect, it } from 'vitest';
import { locateItem, ResponseIds } from './response-ids.js';

describe('ResponseIds', () => {
  it('names a response and its items so that each item id leads back to its place', () => {
    const ids = new ResponseIds();
    expect(ids.responseId).toMatch(/^resp_[0-9a-f]{48}$/);
    expect(locateItem(ids.output('message', 0))).toEqual({ responseId: ids.responseId, list: 'output', index: 0 });
    expect(locateItem(ids.output('function_call', 3))).toEqual({ responseId: ids.responseId, list: 'output', index: 3 });
    expect(locateItem(ids.input('function_call_output', 12))).toEqual({ responseId: ids.responseId, list: 'input', index: 12 });
    expect(ids.input('message', 0)).toMatch(/^msg_[0-9a-f]{48}_i0$/);
    expect(new ResponseIds().responseId).not.toBe(ids.responseId);
  });

  it('locates nothing for ids it did not make', () => {
    for (const id of ['msg_abc', 'resp_' + 'a'.repeat(48), `msg_${'a'.repeat(48)}_x1`, `web_${'a'.repeat(48)}_o0`, `msg_${'A'.repeat(48)}_o0`, '']) {
      expect(locateItem(id)).toBeUndefined();
    }
  });
});
