import { joinVectors } from '../version-vector.js';
import type { ConflictRule } from '../resolution.js';
import type { SyncItem } from '../sync-item.js';
import type { ConflictRecord, HistoryReason } from '../sync-types.js';
import type { HistoryState, ItemRow, NewState } from './rows.js';
import type { CommitResult, ConflictInsert, HistoryInsert, PeerUpdate, WriteBatch } from './write-batch.js';

/** A conflict as planned: the record the API returns, once the store has given it an id. */
type PlannedConflictRecord = Omit<ConflictRecord, 'id'>;

/**
 * Collects the writes of one planned step into a {@link WriteBatch}: item states get the next
 * sequence numbers of the log (the log's end moves only when the batch is committed), history
 * and conflict entries keep their order.
 */
export class BatchBuilder {
  readonly history: HistoryInsert[] = [];
  readonly items: ItemRow[] = [];
  readonly conflicts: ConflictInsert[] = [];
  readonly #records: PlannedConflictRecord[] = [];
  /** `conflict-loser` history entries planned in this batch, as `id` + NUL + `hlc`. */
  readonly #losers = new Set<string>();
  #lastSeq: number;

  /**
   * @param lastSeq the end of the log before this batch.
   * @param now the wall clock (µs) for the time of history and conflict entries.
   */
  constructor(
    lastSeq: number,
    readonly now: () => number,
  ) {
    this.#lastSeq = lastSeq;
  }

  /** The end of the log once the batch is committed. */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** Writes an item state at the next position of the log. */
  writeState(state: NewState): ItemRow {
    const row: ItemRow = { ...state, seq: ++this.#lastSeq };
    this.items.push(row);
    return row;
  }

  /** Keeps a superseded version. */
  addHistory(state: HistoryState, reason: HistoryReason): void {
    this.history.push({ state, reason, recordedAt: this.now() });
    if (reason === 'conflict-loser') this.#losers.add(`${state.id}\u0000${state.hlc}`);
  }

  /** Whether this batch already keeps a `conflict-loser` version of the item with this timestamp. */
  hasPlannedLoser(itemId: string, hlc: string): boolean {
    return this.#losers.has(`${itemId}\u0000${hlc}`);
  }

  /** Adds a conflict log entry. */
  addConflict(itemId: string, peerId: string | null, rule: ConflictRule, winner: 'local' | 'remote' | 'merged', local: SyncItem, remote: SyncItem, result: SyncItem): void {
    const detected = this.now();
    this.conflicts.push({ item_id: itemId, peer_id: peerId, rule, winner, local: JSON.stringify(local), remote: JSON.stringify(remote), result: JSON.stringify(result), detected_at: detected });
    this.#records.push({ itemId, peerId, rule, winner, local, remote, result, detectedAt: new Date(detected / 1000), acknowledgedAt: null });
  }

  /**
   * Plans a local write of an item (`previous` its current row, if any): a new timestamp, the
   * context extended with it, the previous version kept in history.
   */
  writeLocal(
    nodeId: string,
    hlc: string,
    write: { readonly id: string; readonly type: string; readonly dataJson: string | null; readonly deleted: boolean },
    previous: ItemRow | undefined,
    reason: HistoryReason = 'superseded',
  ): ItemRow {
    const vector = joinVectors(previous === undefined ? {} : (JSON.parse(previous.vector) as Record<string, string>), { [nodeId]: hlc });
    if (previous !== undefined) this.addHistory(previous, reason);
    return this.writeState({
      id: write.id,
      type: write.type,
      data: write.dataJson,
      version: (previous?.version ?? 0) + 1,
      hlc,
      node_id: nodeId,
      deleted: write.deleted ? 1 : 0,
      vector: JSON.stringify(vector),
      value_vector: null,
      origin: nodeId,
      from_peer: null,
    });
  }

  /** The batch to commit, with a peer update and meta values. */
  build(extra: { readonly peer?: PeerUpdate; readonly meta?: Readonly<Record<string, string>> } = {}): WriteBatch {
    return { history: this.history, items: this.items, conflicts: this.conflicts, ...extra };
  }

  /** The conflict records of the committed batch, with the ids the store gave them. */
  records(result: CommitResult): ConflictRecord[] {
    return this.#records.map((record, i) => ({ id: result.conflictIds[i]!, ...record }));
  }
}
