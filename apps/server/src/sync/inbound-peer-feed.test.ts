import { describe, expect, it } from 'vitest';
import { InboundPeerFeed } from './inbound-peer-feed.js';

describe('InboundPeerFeed', () => {
  it('hands each published peer and request to every subscriber until it unsubscribes', () => {
    const feed = new InboundPeerFeed();
    const heard: string[] = [];
    const stop = feed.subscribe({
      peerAuthenticated: (peer) => heard.push(`peer ${peer.nodeId} ${peer.address}:${peer.port}`),
      peerRequested: (peerId) => heard.push(`request ${peerId}`),
    });
    feed.subscribe({ peerAuthenticated: () => heard.push('second'), peerRequested: () => heard.push('second') });
    feed.publishPeer({ nodeId: 'n1', address: '127.0.0.1', port: 5000 });
    feed.publishRequest('n1');
    stop();
    feed.publishRequest('n2');
    expect(heard).toEqual(['peer n1 127.0.0.1:5000', 'second', 'request n1', 'second', 'second']);
  });
});
