import { ConflictResolutionError } from '../errors.js';
import { isValidHlc } from '../hlc.js';
import { encodeData, MAX_TYPE_LENGTH } from '../message-validator.js';
import { isValidNodeId } from '../node-id.js';
import { defaultConflictWinner, type ConflictRule, type MergeState } from '../resolution.js';
import type { JsonValue, SyncItem } from '../sync-item.js';
import { joinVectors } from '../version-vector.js';

/** What a {@link ConflictResolver} receives besides the two versions. */
export interface ConflictResolverContext {
  /** This node's id. */
  readonly nodeId: string;
  /** The built-in rule (deletion wins, else greater (HLC, node id)); returns `local` or `remote`. */
  readonly defaultResolve: (local: SyncItem, remote: SyncItem) => SyncItem;
}

/**
 * Decides true conflicts: given two concurrent versions of one item (neither has seen the
 * other), returns the version to keep: `local`, `remote`, or a new merged item. Its result is
 * validated ({@link ConflictResolutionError} otherwise). The engine computes the merged item's
 * causal context itself.
 *
 * For every replica to end identical, a resolver should be deterministic. If two nodes resolve
 * the same conflict differently, the engine still converges: the two results meet as
 * equal-context states and the default rule picks one (logged as `tiebreak`).
 *
 * It runs while the engine holds its write lock: it may read (`get`, `history`), but must not
 * write (`put`, `delete`), which would wait for the lock forever.
 */
export interface ConflictResolver {
  resolve(local: SyncItem, remote: SyncItem, context: ConflictResolverContext): SyncItem | Promise<SyncItem>;
}

/** The function form of {@link ConflictResolver.resolve} (the `resolveConflict` config option). */
export type ConflictResolverFunction = ConflictResolver['resolve'];

function itemMergeState(item: SyncItem): MergeState {
  return {
    hlc: item.hlc,
    nodeId: item.nodeId,
    version: item.version,
    deleted: item.deleted,
    dataJson: item.deleted ? null : JSON.stringify(item.data),
    vector: item.vector,
    valueVector: item.vector,
  };
}

/** The built-in rule: a deletion wins over a modification, else the greater (HLC, node id). Returns `local` or `remote`. */
export function defaultResolve(local: SyncItem, remote: SyncItem): SyncItem {
  return defaultConflictWinner(itemMergeState(local), itemMergeState(remote)).winner === 'local' ? local : remote;
}

/** The default resolver: {@link defaultResolve}, last-write-wins with deletions winning. */
export const lastWriteWins: ConflictResolver = Object.freeze({ resolve: (local: SyncItem, remote: SyncItem) => defaultResolve(local, remote) });

/** One side of a conflict: the item, its merge state and its data's stored JSON text. */
export interface ConflictSide {
  readonly item: SyncItem;
  readonly state: MergeState;
  readonly dataJson: string | null;
}

/** How a conflict was resolved: the resulting item, its data's JSON text, which side won and by what rule. */
export interface Resolution {
  readonly item: SyncItem;
  readonly dataJson: string | null;
  readonly winner: 'local' | 'remote' | 'merged';
  readonly rule: ConflictRule;
}

/** What resolving needs from the engine besides the two sides. */
export interface ResolveOptions {
  readonly context: ConflictResolverContext;
  readonly maxItemBytes: number;
  /** Whether a timestamp is further ahead of the local clock than the drift allows. */
  readonly isTooFarAhead: (hlc: string) => boolean;
}

/**
 * Resolves one true conflict. Without a resolver the default rule decides without building
 * items twice; with one, its answer is validated and classified: a side returned as is keeps
 * that side's rule (`lww`/`delete-wins` when the default would have picked it, else `custom`),
 * an item equal to a side counts as that side, anything else is a merge.
 * @throws {ConflictResolutionError} when the resolver throws or returns an invalid item.
 */
export async function resolveConflict(
  resolver: ConflictResolver | undefined,
  local: ConflictSide,
  remote: ConflictSide,
  options: ResolveOptions,
): Promise<Resolution> {
  if (resolver === undefined) {
    const { winner, rule } = defaultConflictWinner(local.state, remote.state);
    const side = winner === 'local' ? local : remote;
    return { item: side.item, dataJson: side.dataJson, winner, rule };
  }
  let result: unknown;
  try {
    result = await resolver.resolve(local.item, remote.item, options.context);
  } catch (error) {
    if (error instanceof ConflictResolutionError) throw error;
    throw new ConflictResolutionError(local.item.id, `the resolver threw: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (result === local.item || result === remote.item) {
    const side = result === local.item ? local : remote;
    const rule = local.item.deleted !== remote.item.deleted ? 'delete-wins' : 'lww';
    const isDefault = defaultResolve(local.item, remote.item) === result;
    return { item: side.item, dataJson: side.dataJson, winner: side === local ? 'local' : 'remote', rule: isDefault ? rule : 'custom' };
  }
  const item = validateResolution(result, local.item, remote.item, options);
  const dataJson = item.deleted ? null : JSON.stringify(item.data);
  const sameAs = (other: ConflictSide): boolean =>
    item.hlc === other.item.hlc &&
    item.nodeId === other.item.nodeId &&
    item.version === other.item.version &&
    item.deleted === other.item.deleted &&
    item.type === other.item.type &&
    dataJson === other.dataJson;
  if (sameAs(local)) return { item: local.item, dataJson: local.dataJson, winner: 'local', rule: 'custom' };
  if (sameAs(remote)) return { item: remote.item, dataJson: remote.dataJson, winner: 'remote', rule: 'custom' };
  return { item, dataJson, winner: 'merged', rule: 'custom' };
}

/**
 * Checks a resolver's new item: same id, a type, data matching `deleted`, a version and an HLC
 * at least those of both sides (a merge is a newer write), not too far in the future.
 * @throws {ConflictResolutionError} naming what is wrong.
 */
export function validateResolution(result: unknown, local: SyncItem, remote: SyncItem, options: Omit<ResolveOptions, 'context'>): SyncItem {
  const fail = (message: string): never => {
    throw new ConflictResolutionError(local.id, message);
  };
  if (typeof result !== 'object' || result === null) fail('expected an item object');
  const r = result as Record<string, unknown>;
  if (r.id !== local.id) fail(`id must stay ${JSON.stringify(local.id)}`);
  if (typeof r.type !== 'string' || r.type.length === 0 || r.type.length > MAX_TYPE_LENGTH) fail('type must be a non-empty string');
  if (typeof r.deleted !== 'boolean') fail('deleted must be a boolean');
  if (r.deleted === true && r.data !== null) fail('a deleted item has data null');
  if (r.deleted === false) {
    if (r.data === null || r.data === undefined) fail('data must be a JSON value (not null) for a live item');
    try {
      encodeData(r.data, 'data', options.maxItemBytes);
    } catch (error) {
      fail(error instanceof Error ? error.message : String(error));
    }
  }
  const minVersion = Math.max(local.version, remote.version);
  if (typeof r.version !== 'number' || !Number.isSafeInteger(r.version) || r.version < minVersion) fail(`version must be an integer >= ${minVersion}`);
  if (!isValidHlc(r.hlc)) fail('hlc must be an HLC timestamp');
  const maxHlc = local.hlc > remote.hlc ? local.hlc : remote.hlc;
  if ((r.hlc as string) < maxHlc) fail(`hlc must be at least the newer of the two versions (${maxHlc})`);
  // Keeping the newer version's timestamp is allowed even when it is far ahead (accepted from a
  // peer whose clock ran ahead); inventing a later one beyond the drift is not.
  if ((r.hlc as string) > maxHlc && options.isTooFarAhead(r.hlc as string)) fail('hlc is too far in the future');
  if (!isValidNodeId(r.nodeId)) fail('nodeId must be a node id');
  return {
    id: local.id,
    type: r.type as string,
    data: r.deleted === true ? null : (r.data as JsonValue),
    version: r.version as number,
    hlc: r.hlc as string,
    nodeId: r.nodeId as string,
    deleted: r.deleted as boolean,
    vector: joinVectors(local.vector, remote.vector),
  };
}
