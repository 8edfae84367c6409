import type { PoolMode, PoolStatusSettings } from '../config.js';
import type { EmbeddingHost, LocalEmbedding } from '../embedding-host.js';
import type { Embedder } from '../engine.js';
import { ApiError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { LoadedModel, ModelHost, PoolHint } from '../model-host.js';
import { ModelDigestCache } from '../peer-models/model-digest.js';
import type { StreamRequestHandler } from '../sync/sealed-stream-route.js';
import type { LanSyncService, PeerRequestHandler } from '../sync/lan-sync-service.js';
import type { HttpSyncTransport } from '../sync/http-sync-transport.js';
import { PeerEmbedder } from './peer-embedder.js';
import { PeerEngine } from './peer-engine.js';
import { choosePoolTarget, type PoolCandidate } from './pool-choice.js';
import { PoolDirectory } from './pool-directory.js';
import { PoolEvents } from './pool-events.js';
import { poolHealth, type PoolHealth } from './pool-health.js';
import { servePoolEmbedding } from './pool-embedding-server.js';
import { servePoolGeneration } from './pool-generation-server.js';
import { embeddingLoad, IDLE_EMBEDDER } from './embedding-load.js';
import { isPoolStatusRequest, type PoolAdvertisement, type PoolEmbedRequest, type PoolModel } from './pool-protocol.js';

/** Construction config of {@link createPooledInference}. */
export interface PooledInferenceConfig {
  readonly mode: PoolMode;
  /** `LLM_POOL_STATUS_INTERVAL_MS` / `LLM_POOL_STATUS_STALE_MS`. */
  readonly status: PoolStatusSettings;
  readonly nodeName: string;
  /** The local model file (hashed in the background for the advertisement); undefined with an upstream. */
  readonly modelFile: string | undefined;
  readonly modelAliases: readonly string[];
  readonly logger: Logger;
}

/** Pooled inference, as the node composes it (see {@link createPooledInference}). */
export interface PooledInference {
  /** Given to `LanSyncService.start`: answers peers' `pool-status` requests. */
  readonly peerRequests: PeerRequestHandler;
  /** Given to `LanSyncService.start`: serves peers' forwarded generations. */
  readonly streamRequests: StreamRequestHandler;
  /** One event per request forwarded to a peer or served for one (metrics). */
  readonly events: PoolEvents;
  /** The models peers advertise now (stale advertisements left out), with their free slots. */
  peerModels(): { readonly peer: string; readonly model: string; readonly slotsFree: number }[];
  /** `/health`'s `pool` section: the mode, the status settings, every peer's last advertisement and its age. */
  health(): PoolHealth;
  /** Once sync and the model hosts exist: starts advertising and lets the routes forward. */
  attach(sync: LanSyncService, model: ModelHost, embeddings: EmbeddingHost): void;
  close(): void;
}

/**
 * Pooled inference (`LLM_POOL`): each node advertises what it serves to its authenticated
 * peers (`pool-directory.ts`), `/v1/models` lists the LAN's models, and the generation routes
 * run a request locally or on the best peer (`pool-choice.ts`) through a {@link PeerEngine}
 * over the sealed peer channel. A node always serves peers' forwarded requests with its own
 * model, also with `LLM_POOL=off` (which only stops it from forwarding and advertising).
 */
export function createPooledInference(config: PooledInferenceConfig): PooledInference {
  let sync: LanSyncService | undefined;
  let host: ModelHost | undefined;
  let embeddings: EmbeddingHost | undefined;
  let directory: PoolDirectory | undefined;
  const events = new PoolEvents();
  const digests = new ModelDigestCache(1024 * 1024);
  let sha256: string | null = null;
  let hashing = false;

  const advertisement = (): PoolAdvertisement => {
    const base = { nodeId: sync?.nodeId ?? '', nodeName: config.nodeName, embedding: config.mode === 'off' ? null : (embeddings?.advertised() ?? null) };
    if (config.mode === 'off' || host?.state.status !== 'loaded') return { ...base, models: [] };
    const { engine, info } = host.require();
    if (sha256 === null && !hashing && config.modelFile !== undefined) {
      hashing = true;
      digests.digest(config.modelFile).then((digest) => (sha256 = digest.sha256), () => undefined);
    }
    const stats = engine.stats();
    const model: PoolModel = { id: info.id, sha256, contextSize: info.contextSize, slots: stats.slots, slotsFree: Math.max(0, stats.slots - stats.slotsInUse), queueDepth: stats.queueDepth, maxQueue: stats.maxQueue };
    return { ...base, models: [model] };
  };

  const channelTo = (nodeId: string, nodeName: string): HttpSyncTransport => {
    const channel = directory?.channel(nodeId);
    if (channel === undefined) throw new Error(`peer ${nodeName} is no longer reachable`);
    return channel;
  };
  const matches = (id: string, requested: string): boolean => requested === id || requested === `${id}.gguf`;

  const candidatesFor = (modelId: string | undefined): (PoolCandidate & { readonly model: PoolModel })[] =>
    (directory?.peers() ?? []).flatMap(({ advert }) => {
      const model = advert.models.find((candidate) => modelId === undefined || matches(candidate.id, modelId));
      return model === undefined ? [] : [{ nodeId: advert.nodeId, nodeName: advert.nodeName, self: false, model }];
    });

  const choose = (local: LoadedModel | undefined, hint: PoolHint): LoadedModel | undefined => {
    const localServes = local !== undefined && (hint.model === undefined || matches(local.info.id, hint.model) || config.modelAliases.includes(hint.model));
    const peers = config.mode === 'off' ? [] : candidatesFor(localServes ? local.info.id : hint.model);
    const target = choosePoolTarget({ mode: config.mode, local: localServes ? local.engine.stats() : undefined, peers, affinity: hint.affinity, selfId: sync?.nodeId ?? '' });
    if (target === 'local') return { ...local!, servedBy: config.nodeName };
    if (target === undefined) {
      if (local !== undefined) return { ...local, servedBy: config.nodeName };
      const lan = [...new Set((directory?.peers() ?? []).flatMap(({ advert }) => advert.models.map((model) => model.id)))];
      // Peers serve other models: the request names one no node has (the client's typo, as OpenAI answers it).
      if (hint.model !== undefined && lan.length > 0) {
        throw new ApiError('model-not-found', `The model '${hint.model}' does not exist. This node has no model; its LAN peers serve: ${lan.join(', ')} (see GET /v1/models).`, { param: 'model' });
      }
      return undefined;
    }
    const peer = target as PoolCandidate & { readonly model: PoolModel };
    const engine = new PeerEngine({
      nodeId: peer.nodeId,
      nodeName: peer.nodeName,
      model: peer.model,
      channel: () => channelTo(peer.nodeId, peer.nodeName),
      report: events.emit,
    });
    config.logger.log('info', 'forwarding a generation to a peer', { event: 'pool-forward', peer_id: peer.nodeId, peer_name: peer.nodeName, model: peer.model.id, local: localServes ? 'busy' : 'no-model' });
    return { engine, info: engine.info, fingerprint: `fp_peer_${peer.model.sha256?.slice(0, 10) ?? peer.nodeId.slice(0, 10)}`, servedBy: peer.nodeName };
  };

  // Embeddings are routed like generation (`choosePoolTarget`), on the embedding engines' own
  // load: here when this node's embedder serves the model, unless it is busy with a queue while a
  // peer embedding with the same model is free; else the least busy peer with the named model.
  const chooseEmbedder = (requested: string | undefined, local: LocalEmbedding | undefined): { readonly embedder: Embedder; readonly servedBy: string } | undefined => {
    if (config.mode === 'off') return undefined;
    const embedding = (directory?.peers() ?? []).map(({ advert }) => advert).filter((advert) => advert.embedding != null);
    const localServes = local?.serves === true;
    const wanted = localServes ? local.id : requested;
    const peers = embedding
      .filter((advert) => wanted === undefined || matches(advert.embedding!.id, wanted))
      .map((advert) => ({ nodeId: advert.nodeId, nodeName: advert.nodeName, self: false, model: embeddingLoad(advert.embedding!), embedding: advert.embedding! }));
    const target = choosePoolTarget({ mode: config.mode, local: localServes ? (local.stats ?? IDLE_EMBEDDER) : undefined, peers, affinity: undefined, selfId: sync?.nodeId ?? '' });
    if (target === 'local') return undefined;
    if (target === undefined) {
      // Peers embed with other models: the request names one no node has (as for generation).
      if (local === undefined && requested !== undefined && embedding.length > 0) {
        const lan = [...new Set(embedding.map((advert) => advert.embedding!.id))];
        throw new ApiError('model-not-found', `The model '${requested}' does not exist. This node has no model; its LAN peers embed with: ${lan.join(', ')} (see GET /v1/models).`, { param: 'model' });
      }
      return undefined;
    }
    const peer = target as (typeof peers)[number];
    const embedder = new PeerEmbedder({
      nodeId: peer.nodeId,
      nodeName: peer.nodeName,
      model: peer.embedding,
      channel: () => channelTo(peer.nodeId, peer.nodeName),
      report: events.emit,
    });
    config.logger.log('info', 'forwarding embeddings to a peer', {
      event: 'pool-forward',
      peer_id: peer.nodeId,
      peer_name: peer.nodeName,
      model: peer.embedding.id,
      kind: 'embedding',
      local: localServes ? 'busy' : local === undefined ? 'no-model' : 'other-model',
    });
    return { embedder, servedBy: peer.nodeName };
  };

  return {
    peerRequests: {
      handles: isPoolStatusRequest,
      answer: async (request) => {
        const asker = (request as { node?: PoolAdvertisement }).node;
        if (asker !== undefined && typeof asker.nodeId === 'string' && Array.isArray(asker.models)) directory?.record(asker);
        return { type: 'pool-status', node: advertisement() };
      },
    },
    streamRequests: {
      answer: (request, peerId, signal) => {
        if (host === undefined || embeddings === undefined) throw new Error('the model host is not attached yet');
        if ((request as { type?: unknown } | null)?.type === 'pool-embed') {
          return servePoolEmbedding(embeddings, request as Partial<PoolEmbedRequest>, peerId, signal, config.logger, events.emit);
        }
        return servePoolGeneration(host, request, peerId, signal, config.logger, events.emit);
      },
    },
    events,
    health: () => poolHealth(config.mode, config.status, directory?.known() ?? []),
    peerModels: () =>
      (directory?.peers() ?? []).flatMap(({ advert }) => advert.models.map((model) => ({ peer: advert.nodeId, model: model.id, slotsFree: model.slotsFree }))),
    attach: (lanSync, model, embeddingHost) => {
      sync = lanSync;
      host = model;
      embeddings = embeddingHost;
      model.attachPool({
        choose,
        peerModels: () =>
          (directory?.peers() ?? []).flatMap(({ advert }) => [
            ...advert.models.map((candidate) => ({ id: candidate.id, ownedBy: advert.nodeName })),
            ...(advert.embedding == null ? [] : [{ id: advert.embedding.id, ownedBy: advert.nodeName }]),
          ]),
      });
      embeddingHost.attachPool({ nodeName: config.nodeName, choose: chooseEmbedder });
      if (config.mode !== 'off' && lanSync.enabled) directory = new PoolDirectory(lanSync, advertisement, config.status, config.logger);
    },
    close: () => directory?.close(),
  };
}
