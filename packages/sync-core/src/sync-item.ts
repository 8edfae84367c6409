import type { VersionVector } from './version-vector.js';

/** Any value JSON can represent. Item data is stored and replicated as its JSON text. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/**
 * One replicated item as applications and conflict resolvers see it.
 *
 * `version`, `hlc` and `nodeId` describe the value: the write (or resolution) that produced
 * it. `vector` is the item's causal context: the latest write of every node this state has
 * seen, used to tell a newer version from a concurrent one.
 */
export interface SyncItem {
  /** Application-chosen or generated id, unique in the store (1–256 characters). */
  readonly id: string;
  /** Application-defined kind of item, e.g. `'document'` (1–128 characters). */
  readonly type: string;
  /** The item's content; `null` for a deleted item (tombstone). */
  readonly data: JsonValue;
  /** Incremented by every modification of the item. */
  readonly version: number;
  /** Hybrid logical clock timestamp of the write that produced this value. */
  readonly hlc: string;
  /** The node that produced this value. */
  readonly nodeId: string;
  /** Whether this is a tombstone. */
  readonly deleted: boolean;
  /** Causal context (node id → HLC of that node's latest write seen). Computed by the engine. */
  readonly vector: VersionVector;
}
