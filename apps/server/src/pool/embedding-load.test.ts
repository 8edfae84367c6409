import { describe, expect, it } from 'vitest';
import { embeddingLoad, IDLE_EMBEDDER } from './embedding-load.js';
import { choosePoolTarget } from './pool-choice.js';

const embedder = (nodeId: string, slotsInUse: number, queueDepth: number) => ({
  nodeId,
  nodeName: nodeId,
  self: false,
  model: embeddingLoad({ id: 'm', dimensions: 8, contextSize: 512, load: { slots: 1, slotsInUse, queueDepth, maxQueue: 32 } }),
});

describe('embeddings routed on the embedding engines\' load', () => {
  it('reads a peer\'s advertised load as its free slots and queue; none advertised counts as idle', () => {
    expect(embeddingLoad({ id: 'm', dimensions: 8, contextSize: 512, load: { slots: 1, slotsInUse: 1, queueDepth: 3, maxQueue: 32 } })).toEqual({ slots: 1, slotsFree: 0, queueDepth: 3 });
    expect(embeddingLoad({ id: 'm', dimensions: null, contextSize: 512 })).toEqual({ slots: 1, slotsFree: 1, queueDepth: 0 });
  });

  it('fallback and balance alike (no conversation): here unless busy with a queue while a peer is free; else the least busy peer', () => {
    const busy = { slots: 1, slotsInUse: 1, queueDepth: 1, maxQueue: 32 };
    for (const mode of ['fallback', 'balance'] as const) {
      const peers = [embedder('b', 1, 2), embedder('c', 0, 0)];
      expect(choosePoolTarget({ mode, local: IDLE_EMBEDDER, peers, affinity: undefined, selfId: 'a' })).toBe('local');
      expect(choosePoolTarget({ mode, local: { ...busy, queueDepth: 0 }, peers, affinity: undefined, selfId: 'a' })).toBe('local');
      expect(choosePoolTarget({ mode, local: busy, peers, affinity: undefined, selfId: 'a' })).toMatchObject({ nodeId: 'c' });
      expect(choosePoolTarget({ mode, local: busy, peers: [embedder('b', 1, 2)], affinity: undefined, selfId: 'a' })).toBe('local');
      expect(choosePoolTarget({ mode, local: undefined, peers: [embedder('b', 1, 2), embedder('d', 1, 0)], affinity: undefined, selfId: 'a' })).toMatchObject({ nodeId: 'd' });
    }
  });
});
