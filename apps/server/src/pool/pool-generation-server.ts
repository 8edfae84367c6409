import type { ChatRequest, CompletionRequest, Usage } from '../engine.js';
import { ApiError, isEngineError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ModelHost } from '../model-host.js';
import type { PoolEventSink } from './pool-events.js';
import type { PoolError, PoolGenerateRequest, PoolStreamItem } from './pool-protocol.js';

/** A failure, in the form the asking node rebuilds it from (see `errorOf` in `peer-engine.ts`). */
export function poolErrorOf(error: unknown): PoolError {
  if (error instanceof ApiError) {
    return { family: 'api', code: error.code, message: error.message, param: error.param, retryAfterSeconds: error.retryAfterSeconds, shouldRetry: error.shouldRetry };
  }
  if (isEngineError(error)) return { family: 'engine', code: error.code, message: error.message, details: error.details };
  return { family: 'engine', code: 'generation-failed', message: error instanceof Error ? error.message : String(error), details: {} };
}

function invalid(message: string): PoolStreamItem {
  return { type: 'error', error: { family: 'engine', code: 'invalid-request', message, details: {} } };
}

/**
 * The serving side of pooled inference: runs a peer's forwarded generation on this node's own
 * model (never forwarded again, so requests cannot loop) and streams its deltas back; the
 * peer's disconnect aborts it through `signal`, freeing the slot at once.
 */
export async function* servePoolGeneration(
  model: ModelHost,
  raw: unknown,
  peerId: string,
  signal: AbortSignal,
  logger: Logger,
  report?: PoolEventSink,
): AsyncGenerator<PoolStreamItem> {
  const message = raw as Partial<PoolGenerateRequest> | null;
  if (message?.type !== 'pool-generate' || (message.kind !== 'chat' && message.kind !== 'completion') || typeof message.request !== 'object' || message.request === null) {
    yield invalid('not a pooled generation request');
    return;
  }
  const startedAt = performance.now();
  let outcome = 'completed';
  let usage: Usage | undefined;
  try {
    const loaded = model.require();
    if (message.model !== loaded.info.id) {
      throw new ApiError('model-not-found', `The model '${String(message.model)}' does not exist. This node serves '${loaded.info.id}'.`, { param: 'model' });
    }
    const engine = loaded.engine;
    if (message.kind === 'chat') {
      const request: ChatRequest = { ...(message.request as ChatRequest), signal };
      if (message.stream === true) {
        for await (const delta of engine.streamChat(request)) {
          if (delta.type === 'done') usage = delta.usage;
          yield { type: 'delta', delta };
        }
      } else {
        const result = await engine.chat(request);
        usage = result.usage;
        yield { type: 'result', result };
      }
    } else {
      const request: CompletionRequest = { ...(message.request as CompletionRequest), signal };
      if (message.stream === true) {
        for await (const delta of engine.streamComplete(request)) {
          if (delta.type === 'done') usage = delta.usage;
          yield { type: 'delta', delta };
        }
      } else {
        const result = await engine.complete(request);
        usage = result.usage;
        yield { type: 'result', result };
      }
    }
  } catch (error) {
    outcome = signal.aborted ? 'aborted' : isEngineError(error) || error instanceof ApiError ? error.code : 'generation-failed';
    if (!signal.aborted) yield { type: 'error', error: poolErrorOf(error) };
  } finally {
    if (signal.aborted) outcome = 'aborted';
    const durationMs = performance.now() - startedAt;
    report?.({
      direction: 'served', peer: peerId, kind: message.kind, outcome,
      promptTokens: usage?.promptTokens ?? 0, completionTokens: usage?.completionTokens ?? 0, durationMs,
    });
    logger.log('info', 'served a peer\'s generation', {
      event: 'pool-served',
      peer_id: peerId,
      kind: message.kind,
      stream: message.stream === true,
      outcome,
      duration_ms: Math.round(durationMs),
    });
  }
}
