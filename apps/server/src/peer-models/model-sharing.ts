import type { ServerConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { ModelHostConfig } from '../model-host.js';
import type { LanSyncService, PeerRequestHandler } from '../sync/lan-sync-service.js';
import { ModelFetcher, type ModelTransferStatus } from './model-fetcher.js';
import { isModelShareRequest } from './model-share-protocol.js';
import { ModelShareServer } from './model-share-server.js';

/** Model distribution, as the node composes it: the sync port's handler and the model host's fetcher. */
export interface ModelSharing {
  /** Given to `LanSyncService.start`: answers peers' model requests. */
  readonly peerRequests: PeerRequestHandler | undefined;
  /** Given to the `ModelHost`, once sync runs: fetches a missing model from peers. */
  fetchMissing(sync: LanSyncService): ModelHostConfig['fetchMissing'];
  /** `model_transfer` of `/api/v1/sync/status`: the fetch in progress or last done; null when none ran. */
  transferStatus(): ModelTransferStatus | null;
}

/**
 * Model distribution over the sealed peer channel (`LLM_MODEL_SHARE`, `LLM_MODEL_SHARE_MAX_MBPS`):
 * off with an upstream engine (there is no model file), and without a sync runtime to carry it.
 */
export function createModelSharing(config: Pick<ServerConfig, 'llm' | 'upstream' | 'modelShare' | 'lanSync'>, logger: Logger): ModelSharing {
  if (config.upstream !== undefined) return { peerRequests: undefined, fetchMissing: () => undefined, transferStatus: () => null };
  const server = new ModelShareServer({
    modelPath: config.llm.modelPath,
    nodeName: config.lanSync.nodeName,
    enabled: config.modelShare.enabled,
    maxBytesPerSecond: config.modelShare.maxBytesPerSecond,
    logger,
  });
  let fetcher: ModelFetcher | undefined;
  return {
    transferStatus: () => fetcher?.status ?? null,
    // Always answered, also with sharing off: the asker is told why it gets nothing.
    peerRequests: { handles: isModelShareRequest, answer: (request, peerId) => server.answer(request as Parameters<ModelShareServer['answer']>[0], peerId) },
    fetchMissing: (sync) => {
      if (!config.modelShare.enabled || !sync.enabled) return undefined;
      fetcher = new ModelFetcher({
        peers: () =>
          sync
            .peers()
            .filter((peer) => peer.authenticated && peer.nodeId !== undefined && !['self', 'refused', 'offline'].includes(peer.state))
            .map((peer) => ({ nodeId: peer.nodeId!, name: peer.name, address: peer.address })),
        openChannel: (peer) => {
          const channel = sync.openPeerChannel(peer.address, peer.nodeId);
          if (channel === undefined) throw new Error('LAN sync stopped');
          return channel;
        },
        logger,
      });
      const active = fetcher;
      return (modelPath, context, onFound) => active.fetch(modelPath, context, onFound);
    },
  };
}
