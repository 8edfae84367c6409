import type { Embedder, EmbeddingModelInfo, EngineStats } from './engine.js';
import { ApiError, isEngineError } from './errors.js';
import type { ModelHost } from './model-host.js';

/** Construction config of an {@link EmbeddingHost}. */
export interface EmbeddingHostConfig {
  /** The chat model: embeddings come from it when no dedicated model is configured. */
  readonly chat: ModelHost;
  /** `LLM_EMBEDDING_MODEL_PATH` and how to load it; undefined: use the chat model. */
  readonly dedicated?: { readonly path: string; readonly load: (path: string) => Promise<Embedder> };
  /** Receives one line per state change of the dedicated model. */
  readonly onStateChange?: (state: EmbeddingModelState) => void;
}

/** The dedicated embedding model's state. */
export type EmbeddingModelState =
  | { readonly status: 'loading'; readonly path: string }
  | { readonly status: 'loaded'; readonly path: string; readonly info: EmbeddingModelInfo }
  | { readonly status: 'error'; readonly path: string; readonly message: string };

/** The embedder a request uses, and which model `model` may name. */
export interface EmbeddingModel {
  readonly embedder: Embedder;
  /** True when it is the dedicated embedding model, not the chat model. */
  readonly dedicated: boolean;
  /** The node that embeds (`X-Trosyn-Served-By`), when pooled inference is attached. */
  readonly servedBy?: string;
}

/** Pooled inference, as the embedding host uses it (`src/pool/`): peers embed what this node cannot. */
export interface EmbeddingPool {
  /** This node's name (`X-Trosyn-Served-By` of its own embeddings). */
  readonly nodeName: string;
  /**
   * A peer's embedder for the request, or undefined: embed here (or no node has the model). With
   * `local.serves`, a peer only when this node's embedder is busy and a peer embedding with the
   * same model is free; else a peer for the requested model (any peer's when none is named).
   * Throws 404 `model_not_found` for a name no node has, when this node has no model.
   */
  choose(requested: string | undefined, local: LocalEmbedding | undefined): { readonly embedder: Embedder; readonly servedBy: string } | undefined;
}

/** This node's embedder as the pool sees it when choosing where a request embeds. */
export interface LocalEmbedding {
  /** Its model id. */
  readonly id: string;
  /** Whether the request's model names it (its id, `.gguf` name or an alias; or no model named). */
  readonly serves: boolean;
  /** How busy it is; undefined when the embedder does not say (counted as idle). */
  readonly stats: EngineStats | undefined;
}

/** The model this node's embeddings come from, as it advertises it to peers. */
export interface AdvertisedEmbeddingModel {
  readonly id: string;
  /** Null until the embedding context over the chat model exists (it is made on the first request). */
  readonly dimensions: number | null;
  readonly contextSize: number;
  /** The embedder's occupancy; absent until it exists (idle), or when it does not say. */
  readonly load?: EngineStats;
}

/**
 * Owns the node's embeddings: a dedicated GGUF (`LLM_EMBEDDING_MODEL_PATH`, loaded in the
 * background like the chat model), or else an embedding context over the chat model, created
 * on the first request and kept while that engine lives.
 */
export class EmbeddingHost {
  readonly #config: EmbeddingHostConfig;
  #state: EmbeddingModelState | undefined;
  #dedicated: Embedder | undefined;
  #loadedAt: Date | undefined;
  #loading: Promise<void> | undefined;
  #fromChat: { readonly engine: object; readonly embedder: Promise<Embedder>; made?: Embedder } | undefined;
  #pool: EmbeddingPool | undefined;
  #disposed = false;

  constructor(config: EmbeddingHostConfig) {
    this.#config = Object.freeze({ ...config });
    if (config.dedicated !== undefined) this.#state = { status: 'loading', path: config.dedicated.path };
  }

  /** The dedicated model's state; undefined when embeddings use the chat model. */
  get state(): EmbeddingModelState | undefined {
    return this.#state;
  }

  /** The dedicated model once loaded, and when it loaded (listed in `/v1/models`). */
  get dedicatedModel(): { readonly info: EmbeddingModelInfo; readonly loadedAt: Date } | undefined {
    return this.#dedicated === undefined || this.#loadedAt === undefined ? undefined : { info: this.#dedicated.info, loadedAt: this.#loadedAt };
  }

  /** Starts loading the dedicated model, once; never rejects (a failure is a state). */
  start(): Promise<void> {
    this.#loading ??= this.#load();
    return this.#loading;
  }

  /** Lets embeddings go to peers when this node has no model for them (`LLM_POOL`, `src/pool/`). */
  attachPool(pool: EmbeddingPool): void {
    this.#pool = pool;
  }

  /**
   * The embedder for a request naming `requested` (or no model): this node's own when it has one
   * that the name matches (its id, `.gguf` name or one of `aliases`) unless it is busy and a peer
   * with the same model is free, else a peer's that serves it (pooled inference), else this
   * node's own or the 503 explaining why there is none (the route then answers 404 for a name
   * that matches nothing).
   */
  async require(requested?: string, aliases: readonly string[] = []): Promise<EmbeddingModel> {
    let local: EmbeddingModel | undefined;
    let failure: unknown;
    try {
      local = await this.requireLocal();
    } catch (error) {
      failure = error;
    }
    const pool = this.#pool;
    if (pool === undefined) {
      if (local === undefined) throw failure;
      return local;
    }
    const id = local?.embedder.info.id;
    const serves = id !== undefined && (requested === undefined || requested === id || requested === `${id}.gguf` || aliases.includes(requested));
    const peer = pool.choose(requested, id === undefined ? undefined : { id, serves, stats: local!.embedder.stats?.() });
    if (peer !== undefined) return { embedder: peer.embedder, dedicated: false, servedBy: peer.servedBy };
    if (local === undefined) throw failure;
    return { ...local, servedBy: pool.nodeName };
  }

  /** What this node's embeddings come from now (advertised to peers); null while there is no model for them. */
  advertised(): AdvertisedEmbeddingModel | null {
    if (this.#config.dedicated !== undefined) {
      const dedicated = this.#dedicated;
      if (dedicated === undefined) return null;
      const { info } = dedicated;
      return { id: info.id, dimensions: info.dimensions, contextSize: info.contextSize, ...loadOf(dedicated) };
    }
    const chat = this.#config.chat;
    if (chat.state.status !== 'loaded') return null;
    const { engine, info } = chat.require();
    const made = this.#fromChat?.engine === engine ? this.#fromChat.made : undefined;
    return { id: info.id, dimensions: made?.info.dimensions ?? null, contextSize: made?.info.contextSize ?? info.contextSize, ...loadOf(made) };
  }

  /** This node's own embedder (never a peer's), or the 503 that explains why there is none. */
  async requireLocal(): Promise<EmbeddingModel> {
    if (this.#config.dedicated !== undefined) {
      const state = this.#state!;
      if (this.#dedicated !== undefined) return { embedder: this.#dedicated, dedicated: true };
      if (state.status === 'error') {
        throw new ApiError(
          'model-not-loaded',
          `The embedding model at ${state.path} failed to load (${state.message}). Fix LLM_EMBEDDING_MODEL_PATH, or unset it to embed with the chat model, then restart the server.`,
          { shouldRetry: false },
        );
      }
      throw new ApiError('model-loading', `The embedding model ${state.path} is still loading; retry in a few seconds.`, { retryAfterSeconds: 5 });
    }
    const { engine } = this.#config.chat.require();
    let fromChat = this.#fromChat;
    if (fromChat?.engine !== engine) {
      const embedder = engine.createEmbeddingEngine();
      const made: { readonly engine: object; readonly embedder: Promise<Embedder>; made?: Embedder } = { engine, embedder };
      fromChat = made;
      this.#fromChat = made;
      embedder.then((created) => (made.made = created), () => undefined);
      // A failed creation is not kept: the next request tries again.
      embedder.catch(() => {
        if (this.#fromChat?.embedder === embedder) this.#fromChat = undefined;
      });
    }
    return { embedder: await fromChat.embedder, dedicated: false };
  }

  /** Disposes the embedders (call before the chat model is disposed). Idempotent. */
  async dispose(): Promise<void> {
    this.#disposed = true;
    await this.#loading;
    const fromChat = this.#fromChat;
    this.#fromChat = undefined;
    await Promise.allSettled([this.#dedicated?.dispose(), fromChat?.embedder.then((embedder) => embedder.dispose())]);
    this.#dedicated = undefined;
  }

  async #load(): Promise<void> {
    const dedicated = this.#config.dedicated;
    if (dedicated === undefined) return;
    try {
      const embedder = await dedicated.load(dedicated.path);
      if (this.#disposed) {
        await embedder.dispose();
        return;
      }
      this.#dedicated = embedder;
      this.#loadedAt = new Date();
      this.#setState({ status: 'loaded', path: dedicated.path, info: embedder.info });
    } catch (error) {
      const message = isEngineError(error) || error instanceof Error ? error.message : String(error);
      this.#setState({ status: 'error', path: dedicated.path, message });
    }
  }

  #setState(state: EmbeddingModelState): void {
    this.#state = state;
    this.#config.onStateChange?.(state);
  }
}

function loadOf(embedder: Embedder | undefined): { readonly load?: EngineStats } {
  const stats = embedder?.stats?.();
  return stats === undefined ? {} : { load: stats };
}
