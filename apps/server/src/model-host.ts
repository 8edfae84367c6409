import { createHash } from 'node:crypto';
import { access } from 'node:fs/promises';
import type { Engine, ModelInfo } from './engine.js';
import { ApiError, isEngineError } from './errors.js';
import { isModelUri } from './model-uri.js';

/** What the node knows about its model at a given moment. */
export type ModelState =
  | { readonly status: 'loading'; readonly path: string; readonly download?: DownloadProgress; readonly detail?: string }
  | { readonly status: 'loaded'; readonly path: string; readonly info: ModelInfo }
  | { readonly status: 'missing'; readonly path: string; readonly askingPeers?: true }
  | { readonly status: 'error'; readonly path: string; readonly message: string };

/** How far the download of a model URI (`hf:…`, `https://…`) has come, while it loads. */
export interface DownloadProgress {
  readonly downloadedBytes: number;
  readonly totalBytes: number;
}

/** A loaded model, as the routes use it. */
export interface LoadedModel {
  readonly engine: Engine;
  readonly info: ModelInfo;
  /** OpenAI's `system_fingerprint`: changes when the model file or context size changes. */
  readonly fingerprint: string;
  /** The node that serves the request (`X-Trosyn-Served-By`), when pooled inference chose it. */
  readonly servedBy?: string;
}

/** What a generation request tells the pool before it runs (see {@link ModelHost.choose}). */
export interface PoolHint {
  /** The request's `model`. */
  readonly model?: string | undefined;
  /** The conversation's key (`LLM_POOL=balance` keeps one conversation on one node). */
  readonly affinity?: string | undefined;
}

/** Pooled inference, as the model host uses it (`src/pool/`). */
export interface ModelPool {
  /** This node's model or a peer's for the request; undefined: none (the host answers as without a pool). */
  choose(local: LoadedModel | undefined, hint: PoolHint): LoadedModel | undefined;
  /** The models peers serve, with the serving node's name. */
  peerModels(): readonly { readonly id: string; readonly ownedBy: string }[];
}

/** What a loader may use while it works: progress for `/health`, and a stop signal. */
export interface ModelLoadContext {
  /** How far the download of a model URI has come. */
  readonly onDownloadProgress: (progress: DownloadProgress) => void;
  /** Shown as the `loading` state's `detail` (e.g. why it waits: an upstream that is down). */
  readonly report: (detail: string) => void;
  /** Aborted by `dispose()`: a loader that waits or retries must give up then. */
  readonly signal: AbortSignal;
}

/** Construction config of a {@link ModelHost}. */
export interface ModelHostConfig {
  /** Absolute path, model URI (`hf:`, `https://`), or the URL of an upstream engine (no file to check). */
  readonly modelPath: string;
  /**
   * Loads the engine, e.g. `LlmEngine.load` with the configured settings; calls
   * `context.onDownloadProgress` while a model URI downloads (shown by `/health` and the console).
   */
  readonly load: (modelPath: string, context: ModelLoadContext) => Promise<Engine>;
  /** Receives one line per state change. */
  readonly onStateChange?: (state: ModelState) => void;
  /**
   * Called when the model file is missing: gets it from elsewhere (LAN peers, `src/peer-models/`)
   * and resolves true once it is in place, false when it gave up (the signal fired). It calls
   * `onFound` when a source is found: the state goes from `missing` to `loading` then.
   */
  readonly fetchMissing?: (modelPath: string, context: ModelLoadContext, onFound: () => void) => Promise<boolean>;
}

/** Retry-After while the model loads: a small model loads in seconds. */
const LOADING_RETRY_AFTER_SECONDS = 5;

function fingerprintOf(info: ModelInfo): string {
  const source = [info.id, info.fileSizeBytes, info.contextSize, info.quantization ?? '', info.architecture].join('|');
  return `fp_${createHash('sha256').update(source).digest('hex').slice(0, 10)}`;
}

async function fileExists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Owns the node's model: loads it in the background after the server listens, reports its state
 * to `/health`, and hands the engine to the routes — or the 503 they answer while there is none.
 *
 * @example
 * ```ts
 * const host = new ModelHost({ modelPath, load: (path) => LlmEngine.load({ modelPath: path }) });
 * void host.start();          // the server answers /health meanwhile
 * const { engine } = host.require(); // throws ApiError 'model-loading' until loaded
 * ```
 */
export class ModelHost {
  readonly #config: ModelHostConfig;
  #state: ModelState;
  #loaded: LoadedModel | undefined;
  #loading: Promise<void> | undefined;
  #disposed = false;
  readonly #stateListeners = new Set<(state: ModelState) => void>();
  readonly #stopLoading = new AbortController();
  #pool: ModelPool | undefined;

  constructor(config: ModelHostConfig) {
    this.#config = Object.freeze({ ...config });
    this.#state = { status: 'loading', path: config.modelPath };
  }

  /** A host around an engine that is already loaded (tests, embedding). */
  static fromEngine(engine: Engine): ModelHost {
    const host = new ModelHost({ modelPath: engine.info.path, load: () => Promise.resolve(engine) });
    host.#setLoaded(engine);
    host.#loading = Promise.resolve();
    return host;
  }

  /** The current state. */
  get state(): ModelState {
    return this.#state;
  }

  /**
   * Calls `listener` on every state change from now on (metrics subscribe to the engine once it
   * is loaded); returns the function that stops it.
   */
  onStateChange(listener: (state: ModelState) => void): () => void {
    this.#stateListeners.add(listener);
    return () => {
      this.#stateListeners.delete(listener);
    };
  }

  /**
   * Starts loading once; resolves when loading has settled (loaded, missing or error). Never
   * rejects: a failure is a state, reported by `/health` and by the routes' 503.
   */
  start(): Promise<void> {
    this.#loading ??= this.#load();
    return this.#loading;
  }

  /** Lets generation go to peers (`LLM_POOL`, `src/pool/`): {@link ModelHost.choose} asks it. */
  attachPool(pool: ModelPool): void {
    this.#pool = pool;
  }

  /** The models peers serve (empty without a pool). */
  peerModels(): readonly { readonly id: string; readonly ownedBy: string }[] {
    return this.#pool?.peerModels() ?? [];
  }

  /**
   * Where a generation runs: this node's model or a peer's (pooled inference), chosen per
   * request; without a pool, or when no node serves the model, as {@link ModelHost.require}.
   */
  choose(hint: PoolHint): LoadedModel {
    return this.#pool?.choose(this.#loaded, hint) ?? this.require();
  }

  /** The loaded model, or throws the {@link ApiError} (503) that explains why there is none. */
  require(): LoadedModel {
    if (this.#loaded !== undefined) return this.#loaded;
    const state = this.#state;
    switch (state.status) {
      case 'loading': {
        const why = state.detail === undefined ? 'is still loading' : `is not ready yet: ${state.detail}`;
        throw new ApiError('model-loading', `The model ${state.path} ${why}; retry in a few seconds.`, { retryAfterSeconds: LOADING_RETRY_AFTER_SECONDS });
      }
      case 'missing':
        throw new ApiError(
          'model-not-loaded',
          `No model is loaded: there is no model file at ${state.path}. ` +
            (state.askingPeers === true ? 'This node is asking its LAN peers for it and loads it as soon as one offers it; or download ' : 'Download ') +
            'the default model with `pnpm model:pull`, or set LLM_MODEL_PATH to a GGUF file, then restart the server.',
          // No Retry-After: the SDKs would wait for it (twice) before the user sees this message.
          { shouldRetry: false },
        );
      case 'error':
        throw new ApiError(
          'model-not-loaded',
          `No model is loaded: the model at ${state.path} failed to load (${state.message}). ` +
            'Check the file, get a working one with `pnpm model:pull`, or set LLM_MODEL_PATH to another GGUF file, then restart the server.',
          { shouldRetry: false },
        );
      case 'loaded':
        throw new Error('unreachable: loaded state without a model');
    }
  }

  /** Disposes the engine (after a load in progress settles). Idempotent. */
  async dispose(): Promise<void> {
    this.#disposed = true;
    this.#stopLoading.abort(new Error('the model host is disposed'));
    await this.#loading;
    const loaded = this.#loaded;
    this.#loaded = undefined;
    await loaded?.engine.dispose();
  }

  #setLoaded(engine: Engine): void {
    this.#loaded = { engine, info: engine.info, fingerprint: fingerprintOf(engine.info) };
    this.#setState({ status: 'loaded', path: this.#config.modelPath, info: engine.info });
  }

  #setState(state: ModelState): void {
    this.#state = state;
    this.#config.onStateChange?.(state);
    for (const listener of this.#stateListeners) listener(state);
  }

  async #load(): Promise<void> {
    const path = this.#config.modelPath;
    this.#setState({ status: 'loading', path });
    const context: ModelLoadContext = {
      // Progress updates the state quietly: `onStateChange` (the log) hears of loading and its end only.
      onDownloadProgress: (progress) => {
        if (this.#state.status === 'loading') this.#state = { ...this.#state, download: { ...progress } };
      },
      report: (detail) => {
        if (this.#state.status === 'loading') this.#state = { ...this.#state, detail };
      },
      signal: this.#stopLoading.signal,
    };
    if (!isModelUri(path) && !(await fileExists(path))) {
      const fetchMissing = this.#config.fetchMissing;
      this.#setState({ status: 'missing', path, ...(fetchMissing === undefined ? {} : { askingPeers: true as const }) });
      if (fetchMissing === undefined) return;
      try {
        if (!(await fetchMissing(path, context, () => this.#setState({ status: 'loading', path })))) return;
      } catch (error) {
        this.#setState({ status: 'error', path, message: error instanceof Error ? error.message : String(error) });
        return;
      }
      if (this.#disposed) return;
      if (this.#state.status !== 'loading') this.#setState({ status: 'loading', path });
    }
    try {
      const engine = await this.#config.load(path, context);
      if (this.#disposed) {
        await engine.dispose();
        return;
      }
      this.#setLoaded(engine);
    } catch (error) {
      if (this.#disposed) return;
      if (isEngineError(error) && error.code === 'model-not-found') this.#setState({ status: 'missing', path });
      else this.#setState({ status: 'error', path, message: error instanceof Error ? error.message : String(error) });
    }
  }
}
