import { describe, expect, it } from 'vitest';
import type { PoolPeerHealth } from './api/types.js';
import { describeAdvertisementAge, describePoolEmbedding, describePoolModels } from './pool-format.js';

const peer: PoolPeerHealth = {
  node_id: 'n1',
  node_name: 'Front desk',
  age_ms: 412,
  stale: false,
  models: [{ id: 'stories260K-chat', slots: 2, slots_free: 1, queue_depth: 3, max_queue: 16 }],
  embedding: { id: 'nomic-embed', slots: 1, slots_free: 0, queue_depth: 2 },
};

describe('pool formatting', () => {
  it('says what a peer serves and how busy it is', () => {
    expect(describePoolModels(peer)).toBe('stories260K-chat: 1 / 2 free, queue 3 / 16');
    expect(describePoolModels({ ...peer, models: [] })).toBe('no chat model');
    expect(describePoolEmbedding(peer)).toBe('nomic-embed: 0 / 1 free, queue 2');
    expect(describePoolEmbedding({ ...peer, embedding: { id: 'e', slots: null, slots_free: null, queue_depth: null } })).toBe('e: idle (not used yet)');
    expect(describePoolEmbedding({ ...peer, embedding: null })).toBe('none');
  });

  it('gives the advertisement age and marks a stale one', () => {
    expect(describeAdvertisementAge(peer, 5000)).toBe('0.4 s ago');
    expect(describeAdvertisementAge({ ...peer, age_ms: 12_000, stale: true }, 5000)).toBe('12 s ago (stale after 5.0 s)');
  });
});
