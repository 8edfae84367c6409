import { describe, expect, it } from 'vitest';
import { choosePoolTarget, conversationKey, type PoolCandidate } from './pool-choice.js';

const peer = (nodeId: string, slotsFree: number, queueDepth = 0): PoolCandidate => ({ nodeId, nodeName: nodeId, self: false, model: { slots: 2, slotsFree, queueDepth } });
const idle = { slots: 2, slotsInUse: 0, queueDepth: 0, maxQueue: 8 };
const busy = { slots: 2, slotsInUse: 2, queueDepth: 1, maxQueue: 8 };

describe('choosePoolTarget', () => {
  it('off: only the local model', () => {
    expect(choosePoolTarget({ mode: 'off', local: busy, peers: [peer('b', 2)], affinity: undefined, selfId: 'a' })).toBe('local');
    expect(choosePoolTarget({ mode: 'off', local: undefined, peers: [peer('b', 2)], affinity: undefined, selfId: 'a' })).toBeUndefined();
  });

  it('fallback: local unless every slot is busy and the queue non-empty while a peer has a free slot', () => {
    expect(choosePoolTarget({ mode: 'fallback', local: idle, peers: [peer('b', 2)], affinity: undefined, selfId: 'a' })).toBe('local');
    expect(choosePoolTarget({ mode: 'fallback', local: { ...busy, queueDepth: 0 }, peers: [peer('b', 2)], affinity: undefined, selfId: 'a' })).toBe('local');
    expect(choosePoolTarget({ mode: 'fallback', local: busy, peers: [peer('b', 0), peer('c', 1)], affinity: undefined, selfId: 'a' })).toMatchObject({ nodeId: 'c' });
    expect(choosePoolTarget({ mode: 'fallback', local: busy, peers: [peer('b', 0)], affinity: undefined, selfId: 'a' })).toBe('local');
  });

  it('fallback without a local model: the peer with the most free slots, then the shortest queue', () => {
    expect(choosePoolTarget({ mode: 'fallback', local: undefined, peers: [peer('b', 0, 3), peer('c', 0, 1)], affinity: undefined, selfId: 'a' })).toMatchObject({ nodeId: 'c' });
    expect(choosePoolTarget({ mode: 'fallback', local: undefined, peers: [peer('b', 1), peer('c', 2)], affinity: undefined, selfId: 'a' })).toMatchObject({ nodeId: 'c' });
    expect(choosePoolTarget({ mode: 'fallback', local: undefined, peers: [], affinity: undefined, selfId: 'a' })).toBeUndefined();
  });

  it('balance: one conversation stays on one node, conversations spread over the nodes', () => {
    const peers = [peer('b', 2), peer('c', 2)];
    const owners = new Map<string, string>();
    for (let i = 0; i < 60; i += 1) {
      const key = conversationKey([{ role: 'user', content: `conversation ${i}` }])!;
      const first = choosePoolTarget({ mode: 'balance', local: idle, peers, affinity: key, selfId: 'a' });
      const again = choosePoolTarget({ mode: 'balance', local: idle, peers, affinity: key, selfId: 'a' });
      expect(again).toEqual(first);
      owners.set(key, first === 'local' ? 'a' : first!.nodeId);
    }
    expect(new Set(owners.values())).toEqual(new Set(['a', 'b', 'c']));
  });

  it('balance: an owner with every slot busy and a queue is passed over as in fallback; one without a queue keeps it', () => {
    const key = [...Array(50).keys()].map((i) => conversationKey([{ role: 'user', content: `c${i}` }])!).find((candidate) => choosePoolTarget({ mode: 'balance', local: idle, peers: [peer('b', 2)], affinity: candidate, selfId: 'a' }) !== 'local')!;
    expect(choosePoolTarget({ mode: 'balance', local: idle, peers: [peer('b', 0, 1)], affinity: key, selfId: 'a' })).toBe('local');
    expect(choosePoolTarget({ mode: 'balance', local: idle, peers: [peer('b', 0, 0)], affinity: key, selfId: 'a' })).toMatchObject({ nodeId: 'b' });
  });

  it('balance on a node without the model: each conversation has one owner among the peers', () => {
    const owners = new Set<string>();
    for (let i = 0; i < 40; i += 1) {
      const key = conversationKey([{ role: 'user', content: `conversation ${i}` }])!;
      const first = choosePoolTarget({ mode: 'balance', local: undefined, peers: [peer('b', 2), peer('c', 1)], affinity: key, selfId: 'a' });
      // The same owner whatever the peers' occupancy, short of saturation.
      const again = choosePoolTarget({ mode: 'balance', local: undefined, peers: [peer('b', 0), peer('c', 2)], affinity: key, selfId: 'a' });
      expect(again).toEqual(expect.objectContaining({ nodeId: (first as PoolCandidate).nodeId }));
      owners.add((first as PoolCandidate).nodeId);
    }
    expect(owners).toEqual(new Set(['b', 'c']));
  });

  it('conversationKey: later turns keep the key of the conversation', () => {
    const start = [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }];
    expect(conversationKey([...start, { role: 'assistant', content: 'Hello' }, { role: 'user', content: 'More' }])).toBe(conversationKey(start));
    expect(conversationKey([{ role: 'system', content: 'x' }])).toBeUndefined();
  });
});
