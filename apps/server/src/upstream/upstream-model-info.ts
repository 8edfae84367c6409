import type { ModelInfo } from '../engine.js';
import type { UpstreamClient } from './upstream-client.js';

/** One entry of the upstream's `GET /models`, with the extra fields some engines add. */
interface ListedModel {
  readonly id?: unknown;
  /** vLLM: the context length it serves. */
  readonly max_model_len?: unknown;
}

/** What another Trosyn node tells about its model in `GET /health`. */
interface TrosynHealthModel {
  readonly status?: unknown;
  readonly id?: unknown;
  readonly architecture?: unknown;
  readonly parameter_count?: unknown;
  readonly quantization?: unknown;
  readonly context_size?: unknown;
  readonly trained_context_length?: unknown;
  readonly has_chat_template?: unknown;
  readonly file_size_bytes?: unknown;
}

const PROBE_TIMEOUT_MS = 5000;

const numberOr = <T>(value: unknown, fallback: T): number | T => (typeof value === 'number' && Number.isFinite(value) ? value : fallback);
const stringOr = <T>(value: unknown, fallback: T): string | T => (typeof value === 'string' && value !== '' ? value : fallback);

/** The ids the upstream lists in `GET /models` (throws the client's errors when it cannot be asked). */
export async function listUpstreamModels(client: UpstreamClient, signal?: AbortSignal): Promise<readonly ListedModel[]> {
  const text = await client.json('/models', undefined, signal, Math.min(PROBE_TIMEOUT_MS, client.timeoutMs));
  try {
    const body = JSON.parse(text) as { data?: unknown; models?: unknown };
    const data = Array.isArray(body.data) ? body.data : [];
    return data.filter((entry): entry is ListedModel => typeof entry === 'object' && entry !== null && typeof (entry as ListedModel).id === 'string');
  } catch {
    return [];
  }
}

// Best effort: only another Trosyn node (or an engine with the same /health) describes its
// model; for the others the fields stay unknown rather than guessed.
async function trosynHealthModel(client: UpstreamClient, signal: AbortSignal): Promise<TrosynHealthModel | undefined> {
  try {
    const origin = new URL(client.url).origin;
    const response = await fetch(`${origin}/health`, { signal: AbortSignal.any([signal, AbortSignal.timeout(PROBE_TIMEOUT_MS)]) });
    if (!response.ok) return undefined;
    const body = (await response.json()) as { model?: TrosynHealthModel };
    return body.model?.status === 'loaded' ? body.model : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The {@link ModelInfo} of the upstream's model `id`: what the upstream tells about it, and
 * neutral values (architecture `upstream`, sizes 0) for what it does not.
 */
export async function describeUpstreamModel(client: UpstreamClient, listed: ListedModel, signal: AbortSignal): Promise<ModelInfo> {
  const id = listed.id as string;
  const health = await trosynHealthModel(client, signal);
  const same = health !== undefined && health.id === id ? health : undefined;
  return {
    id,
    path: client.url,
    architecture: stringOr(same?.architecture, 'upstream'),
    parameterCount: numberOr(same?.parameter_count, undefined),
    quantization: stringOr(same?.quantization, undefined),
    trainedContextLength: numberOr(same?.trained_context_length, undefined),
    contextSize: numberOr(same?.context_size, numberOr(listed.max_model_len, 0)),
    hasChatTemplate: typeof same?.has_chat_template === 'boolean' ? same.has_chat_template : true,
    fileSizeBytes: numberOr(same?.file_size_bytes, 0),
    loadedAt: new Date(),
  };
}
