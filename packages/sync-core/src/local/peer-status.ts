import type { EngineCore } from '../engine-core.js';
import type { PeerRow } from '../item-rows.js';
import type { PeerStatus, SyncStatus } from '../sync-types.js';
import { peerStatus } from './records.js';

/** A peer row as a {@link PeerStatus}, with our changes it has not acknowledged counted in the store. */
async function statusOf(core: EngineCore, row: PeerRow): Promise<PeerStatus> {
  const acked = row.acked_epoch === core.epoch ? row.acked : 0;
  return peerStatus(row, await core.store.countPending(row.peer_id, acked));
}

/** The engine's status with every known peer. */
export async function engineStatus(core: EngineCore): Promise<SyncStatus> {
  core.assertOpen();
  const { nodeId, epoch, lastSeq } = core;
  const rows = await core.store.listPeers();
  const peers: PeerStatus[] = [];
  for (const row of rows) peers.push(await statusOf(core, row));
  return { nodeId, epoch, lastSeq, peers };
}

/** One peer's status, or `undefined` if this node never exchanged with it. */
export async function statusOfPeer(core: EngineCore, peerId: string): Promise<PeerStatus | undefined> {
  core.assertOpen();
  const row = await core.store.getPeer(peerId);
  return row === undefined ? undefined : statusOf(core, row);
}
