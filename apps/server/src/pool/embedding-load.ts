import type { EngineStats } from '../engine.js';
import type { PoolCandidate } from './pool-choice.js';
import type { PoolEmbeddingModel } from './pool-protocol.js';

/**
 * An embedder that has not said how busy it is: one that has not embedded yet (its engine is
 * made on the first request), or a test double. Counted as free: nothing waits for it.
 */
export const IDLE_EMBEDDER: EngineStats = Object.freeze({ slots: 1, slotsInUse: 0, queueDepth: 0, maxQueue: 0 });

/**
 * A peer's embedding engine as a pool candidate's occupancy (what `choosePoolTarget` ranks): its
 * advertised load, or {@link IDLE_EMBEDDER}'s when it advertised none (not made yet, or an older node).
 */
export function embeddingLoad(model: PoolEmbeddingModel): PoolCandidate['model'] {
  const load = model.load ?? IDLE_EMBEDDER;
  return { slots: load.slots, slotsFree: Math.max(0, load.slots - load.slotsInUse), queueDepth: load.queueDepth };
}
