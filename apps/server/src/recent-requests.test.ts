import { describe, expect, it } from 'vitest';
import { RecentRequests, type RecentRequest } from './recent-requests.js';

function request(n: number, client: 'console' | undefined = undefined): RecentRequest {
  return {
    requestId: `r${n}`, method: 'GET', path: `/p${n}`, status: 200, outcome: undefined, startedAt: new Date(n), durationMs: 1,
    promptTokens: undefined, completionTokens: undefined, cachedTokens: undefined, client,
  };
}

describe('RecentRequests', () => {
  it('lists the newest first and keeps only the last `capacity` requests', () => {
    const recent = new RecentRequests(3);
    for (let n = 1; n <= 5; n++) recent.record(request(n));
    expect(recent.list({ limit: 10, includeConsole: true }).map((r) => r.requestId)).toEqual(['r5', 'r4', 'r3']);
    expect(recent.list({ limit: 2, includeConsole: true }).map((r) => r.requestId)).toEqual(['r5', 'r4']);
  });

  it("hides the console's own requests unless asked, still filling `limit` from older ones", () => {
    const recent = new RecentRequests(10);
    recent.record(request(1));
    recent.record(request(2));
    recent.record(request(3, 'console'));
    recent.record(request(4, 'console'));
    expect(recent.list({ limit: 2, includeConsole: false }).map((r) => r.requestId)).toEqual(['r2', 'r1']);
    expect(recent.list({ limit: 2, includeConsole: true }).map((r) => r.requestId)).toEqual(['r4', 'r3']);
  });
});
