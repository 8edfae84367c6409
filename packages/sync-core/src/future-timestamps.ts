import { SyncError } from './errors.js';
import { hlcWallPrefix } from './hlc.js';
import type { VersionVector } from './version-vector.js';

/**
 * What the engine does with a received change stamped further ahead of its wall clock than
 * `maxClockDriftMs` (the writer's clock ran ahead):
 *
 * - `'reject'` (the default): the page is refused with `clock-drift`, nothing of it applied;
 *   the sender retries until the local clock has caught up with its timestamps.
 * - `'accept'`: the page is applied, but the far timestamps are **not adopted** by the local
 *   clock, so a wrong clock never drags this node's clock (and its later writes) with it.
 *   Causality still holds (version vectors decide "newer", not timestamps); a far-future version
 *   wins concurrent edits by last-write-wins until real time reaches it (a deletion still wins
 *   over it). A node whose clock ran ahead rejoins at once without losing its writes.
 */
export type FutureTimestampPolicy = 'reject' | 'accept';

/** Validates the `futureTimestamps` config option (default `'reject'`). */
export function futureTimestampPolicy(value: unknown): FutureTimestampPolicy {
  if (value === undefined) return 'reject';
  if (value === 'reject' || value === 'accept') return value;
  throw new SyncError('invalid-config', `futureTimestamps must be 'reject' or 'accept', got ${JSON.stringify(value)}`);
}

/** The timestamps of one received page, sorted into what the local clock may adopt and what it may not. */
export interface PageTimestamps {
  /** The greatest timestamp within the allowed drift (the local clock moves up to it). */
  readonly adoptable: string | undefined;
  /** The first timestamp beyond the allowed drift, if any. */
  readonly firstBeyond: string | undefined;
  /** How many changes carry a timestamp beyond the allowed drift (their own or in their vector). */
  readonly changesBeyond: number;
}

/**
 * Sorts the timestamps of `changes` (each change's HLC and every entry of its version vector)
 * against the drift limit: a wall time after `limitWallMicros` is beyond it. Pure.
 */
export function scanPageTimestamps(changes: readonly { readonly hlc: string; readonly vector: VersionVector }[], limitWallMicros: number): PageTimestamps {
  // HLC strings start with a fixed-width wall time: comparing the prefix compares wall times.
  const limit = hlcWallPrefix(limitWallMicros);
  let adoptable: string | undefined;
  let firstBeyond: string | undefined;
  let changesBeyond = 0;
  for (const change of changes) {
    let beyond = false;
    const look = (hlc: string): void => {
      if (hlc.slice(0, 16) > limit) {
        beyond = true;
        firstBeyond ??= hlc;
      } else if (adoptable === undefined || hlc > adoptable) adoptable = hlc;
    };
    look(change.hlc);
    for (const node in change.vector) look(change.vector[node]!);
    if (beyond) changesBeyond += 1;
  }
  return { adoptable, firstBeyond, changesBeyond };
}
