import type { ApiPeerStatus, LanNode } from './lan-node.js';

/**
 * Polls `node`'s sync status until every id in `peerIds` is listed as a peer that has
 * completed a sync round (`last_sync_at` set); resolves with those peers' status.
 */
export async function waitForPeers(node: LanNode, peerIds: readonly string[], timeoutMs = 20_000): Promise<ApiPeerStatus[]> {
  const deadline = Date.now() + timeoutMs;
  let peers: readonly ApiPeerStatus[] = [];
  for (;;) {
    peers = (await node.syncStatus()).peers;
    const synced = peerIds.map((id) => peers.find((peer) => peer.peer_id === id && peer.last_sync_at !== null));
    if (synced.every((peer) => peer !== undefined)) return synced as ApiPeerStatus[];
    if (Date.now() > deadline) {
      throw new Error(`${node.name} has not synced with ${peerIds.join(', ')} within ${timeoutMs} ms; its peers: ${JSON.stringify(peers)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

