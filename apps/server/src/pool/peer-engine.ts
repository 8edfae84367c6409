import type {
  ChatDelta,
  ChatRequest,
  ChatResult,
  CompletionDelta,
  CompletionRequest,
  CompletionResult,
  Embedder,
  Engine,
  EngineEvents,
  EngineStats,
  ModelInfo,
  Usage,
} from '../engine.js';
import { ApiError, type ApiErrorCode } from '../errors.js';
import { LanSyncError } from '../sync/errors.js';
import type { HttpSyncTransport } from '../sync/http-sync-transport.js';
import type { PoolEventSink, PoolRequestEvent } from './pool-events.js';
import type { PoolError, PoolGenerateRequest, PoolModel, PoolStreamItem } from './pool-protocol.js';

/** An engine-port error rebuilt from a peer's answer (or a failure to reach it): the error handler maps it by shape. */
export class PeerEngineError extends Error {
  readonly code: string;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: string, message: string, details: Readonly<Record<string, unknown>> = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    // The engine port's error family (see `isEngineError`).
    this.name = 'LlmError';
    this.code = code;
    this.details = details;
  }
}

/** The peer's error, as the serving node would have thrown it. */
export function errorOf(error: PoolError): Error {
  if (error.family === 'engine') return new PeerEngineError(error.code, error.message, error.details);
  return new ApiError(error.code as ApiErrorCode, error.message, {
    ...(error.param === null ? {} : { param: error.param }),
    ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }),
    ...(error.shouldRetry === undefined ? {} : { shouldRetry: error.shouldRetry }),
  });
}

/** A failure of a forwarded request as the client gets it: the peer's own error, an abort, or `upstream-unavailable`. */
export function forwardingFailure(error: unknown, signal: AbortSignal | undefined, nodeName: string): Error {
  if (signal?.aborted === true) return new PeerEngineError('aborted', 'The request was aborted.', {}, error);
  if (error instanceof PeerEngineError || error instanceof ApiError) return error;
  if (error instanceof LanSyncError && error.code === 'handshake-refused' && error.status === 429) {
    // Every request forwarded to a peer shares one sealed session with it (PoolDirectory.channel),
    // so this is only reached when that one handshake is refused: the peer's allowance for this
    // address (shared with sync) was spent, e.g. by restarts in a row.
    return new PeerEngineError(
      'upstream-unavailable',
      `Peer ${nodeName} refused a sealed session for this request: too many handshakes from this node ` +
        '(a node accepts 20 handshakes, then 1 per second, from one address, sync included). Retry in a few seconds.',
      {},
      error,
    );
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new PeerEngineError('upstream-unavailable', `Peer ${nodeName} could not serve the request: ${reason}`, {}, error);
}

/** Where a {@link PeerEngine} forwards: a peer serving the model, and the sealed channel to it. */
export interface PeerTarget {
  readonly nodeId: string;
  readonly nodeName: string;
  readonly model: PoolModel;
  /** The sealed channel to the peer (shared by every request forwarded to it, concurrently). */
  channel(): HttpSyncTransport;
  /** Receives one `forwarded` event per request once it is over (metrics). */
  readonly report?: PoolEventSink;
}

/** Reports one request forwarded to `target` once it is over (the metrics' `forwarded` event). */
export function reportForwarded(
  target: { readonly nodeId: string; readonly report?: PoolEventSink },
  kind: PoolRequestEvent['kind'],
  outcome: string,
  tokens: { readonly promptTokens: number; readonly completionTokens: number },
  startedAt: number,
): void {
  target.report?.({ direction: 'forwarded', peer: target.nodeId, kind, outcome, ...tokens, durationMs: performance.now() - startedAt });
}

/** The code a failure is counted under: the engine or API error's code, else `generation-failed`. */
export function outcomeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'generation-failed';
}

/**
 * The engine port served by a peer over the sealed peer channel (`LLM_POOL`): each generation
 * is sent to the peer's `POST /sync/v1/pool/generate` and its answer streamed back frame by
 * frame; the client's abort closes the connection, which stops the peer's generation and frees
 * its slot. The peer's errors are rethrown as the same engine or API errors, so the client gets
 * the answer it would get from the serving node. Mirrors `UpstreamEngine`'s shape.
 */
export class PeerEngine implements Engine {
  readonly info: ModelInfo;
  readonly #target: PeerTarget;

  constructor(target: PeerTarget) {
    this.#target = target;
    const model = target.model;
    this.info = {
      id: model.id,
      path: `peer:${target.nodeName}/${model.id}`,
      architecture: 'unknown',
      parameterCount: undefined,
      quantization: undefined,
      trainedContextLength: undefined,
      contextSize: model.contextSize,
      hasChatTemplate: true,
      fileSizeBytes: 0,
      loadedAt: new Date(0),
    };
  }

  /** The serving node's name (`X-Trosyn-Served-By`). */
  get nodeName(): string {
    return this.#target.nodeName;
  }

  /** Never used: forwarded embeddings go through a `PeerEmbedder` (the embedding host asks the pool itself). */
  createEmbeddingEngine(): Promise<Embedder> {
    return Promise.reject(new PeerEngineError('invalid-request', `Embeddings reach ${this.#target.nodeName} through the pool's embedder, not its generation engine.`));
  }

  stats(): EngineStats {
    const model = this.#target.model;
    return { slots: model.slots, slotsInUse: model.slots - model.slotsFree, queueDepth: model.queueDepth, maxQueue: model.maxQueue };
  }

  on<K extends keyof EngineEvents>(_name: K, _listener: (event: EngineEvents[K]) => void): () => void {
    return () => undefined;
  }

  async dispose(): Promise<void> {}

  async chat(request: ChatRequest): Promise<ChatResult> {
    return (await this.#whole('chat', request)) as ChatResult;
  }

  async complete(request: CompletionRequest): Promise<CompletionResult> {
    return (await this.#whole('completion', request)) as CompletionResult;
  }

  streamChat(request: ChatRequest): AsyncIterable<ChatDelta> {
    return this.#stream('chat', request) as AsyncIterable<ChatDelta>;
  }

  streamComplete(request: CompletionRequest): AsyncIterable<CompletionDelta> {
    return this.#stream('completion', request) as AsyncIterable<CompletionDelta>;
  }

  async #whole(kind: 'chat' | 'completion', request: ChatRequest | CompletionRequest): Promise<ChatResult | CompletionResult> {
    for await (const item of this.#items(kind, request, false)) {
      if (item.type === 'result') return item.result;
    }
    throw new PeerEngineError('upstream-failed', `Peer ${this.#target.nodeName} ended its answer without a result.`);
  }

  async *#stream(kind: 'chat' | 'completion', request: ChatRequest | CompletionRequest): AsyncGenerator<ChatDelta | CompletionDelta> {
    for await (const item of this.#items(kind, request, true)) {
      if (item.type === 'delta') yield item.delta;
    }
  }

  async *#items(kind: 'chat' | 'completion', request: ChatRequest | CompletionRequest, stream: boolean): AsyncGenerator<PoolStreamItem> {
    const { signal, ...plain } = request;
    const message = { type: 'pool-generate', model: this.info.id, kind, stream, request: plain } as PoolGenerateRequest;
    const startedAt = performance.now();
    let usage: Usage | undefined;
    let outcome = 'aborted';
    let finished = false;
    try {
      for await (const raw of this.#target.channel().requestStream(message, signal)) {
        const item = raw as PoolStreamItem;
        if (item.type === 'error') throw errorOf(item.error);
        if (item.type === 'result') usage = item.result.usage;
        else if (item.type === 'delta' && item.delta.type === 'done') usage = item.delta.usage;
        // Set before the yield: a whole answer's reader stops at its result.
        if (item.type === 'result' || (item.type === 'delta' && item.delta.type === 'done')) {
          finished = true;
          outcome = 'completed';
        }
        yield item;
      }
      if (!finished) throw new PeerEngineError('upstream-unavailable', `Peer ${this.#target.nodeName} ended the answer before its end.`);
    } catch (error) {
      const failure = forwardingFailure(error, signal, this.#target.nodeName);
      outcome = outcomeOf(failure);
      throw failure;
    } finally {
      reportForwarded(this.#target, kind, outcome, { promptTokens: usage?.promptTokens ?? 0, completionTokens: usage?.completionTokens ?? 0 }, startedAt);
    }
  }
}
