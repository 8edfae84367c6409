import type { PoolHealth, PoolPeerHealth } from './api/types.js';
import { formatDuration } from './format.js';

/** What each `LLM_POOL` mode means to an operator (apps/server/README.md, Pooled inference). */
export const poolModeHelp: Readonly<Record<PoolHealth['mode'], string>> = {
  off: 'Every request runs here; peers are not asked',
  fallback: 'Runs here when it can; passed to a peer when this node lacks the model or is full',
  balance: 'Like fallback, and a conversation stays on the node that holds its prompt cache',
};

/** `stories260K-chat: 1 / 1 free, queue 0 / 16` for each model the peer serves, or `no chat model`. */
export function describePoolModels(peer: PoolPeerHealth): string {
  if (peer.models.length === 0) return 'no chat model';
  return peer.models.map((model) => `${model.id}: ${model.slots_free} / ${model.slots} free, queue ${model.queue_depth} / ${model.max_queue}`).join('; ');
}

/** `nomic-embed: 1 / 1 free, queue 0`, `nomic-embed: idle (not used yet)`, or `none`. */
export function describePoolEmbedding(peer: PoolPeerHealth): string {
  const embedding = peer.embedding;
  if (embedding === null) return 'none';
  if (embedding.slots === null || embedding.slots_free === null) return `${embedding.id}: idle (not used yet)`;
  return `${embedding.id}: ${embedding.slots_free} / ${embedding.slots} free, queue ${embedding.queue_depth ?? 0}`;
}

/** `0.4 s ago`, `12 s ago (stale after 5.0 s)`: an advertisement's age and whether the node still uses it. */
export function describeAdvertisementAge(peer: PoolPeerHealth, staleMs: number): string {
  const age = `${formatDuration(peer.age_ms / 1000)} ago`;
  return peer.stale ? `${age} (stale after ${formatDuration(staleMs / 1000)})` : age;
}
