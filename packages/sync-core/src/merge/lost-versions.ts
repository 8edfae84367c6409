import { parseVector, type HistoryRow } from '../item-rows.js';
import type { ValidatedChange, ValidatedLostVersion } from '../message-validator.js';
import { MAX_LOST_VERSIONS } from '../messages.js';
import { defaultConflictWinner, type ConflictRule, type MergeState } from '../resolution.js';
import type { JsonValue } from '../sync-item.js';
import type { VersionVector } from '../version-vector.js';

/**
 * The versions a resolved state absorbed as conflict losers, picked from the item's
 * `conflict-loser` history rows (newest first): the state's context covers each one, its
 * value's context does not. Each timestamp once, at most {@link MAX_LOST_VERSIONS}, and no
 * more data in total than one item may hold (`maxBytes`), so a page's size stays bounded.
 */
export function absorbedLosers(
  vector: VersionVector,
  valueVector: VersionVector,
  losers: readonly HistoryRow[],
  maxBytes: number,
): ValidatedLostVersion[] {
  const lost: ValidatedLostVersion[] = [];
  const seen = new Set<string>();
  let bytes = 0;
  for (const loser of losers) {
    if (lost.length >= MAX_LOST_VERSIONS) break;
    const absorbed = (vector[loser.node_id] ?? '') >= loser.hlc && (valueVector[loser.node_id] ?? '') < loser.hlc;
    if (!absorbed || seen.has(loser.hlc)) continue;
    bytes += loser.data?.length ?? 0;
    if (bytes > maxBytes) break;
    seen.add(loser.hlc);
    const data = loser.data === null ? null : (JSON.parse(loser.data) as JsonValue);
    lost.push({
      data,
      deleted: loser.deleted === 1,
      version: loser.version,
      hlc: loser.hlc,
      nodeId: loser.node_id,
      vector: parseVector(loser.vector),
      dataJson: loser.data,
      vectorJson: loser.vector,
    });
  }
  return lost;
}

/** A lost version to record: its history row and the rule that, as far as this node can tell, decided it. */
export interface LostVersionRecord {
  readonly row: { id: string; type: string; data: string | null; version: number; hlc: string; node_id: string; deleted: number; vector: string };
  readonly rule: ConflictRule;
}

/**
 * The conflicts a remote state absorbed elsewhere that this node has not logged yet: each lost
 * version whose timestamp `alreadyLogged` does not know (once per timestamp), as a history row
 * and the rule (the default rule's, when it would have picked the remote state; else `custom`).
 */
export function unloggedLostVersions(change: ValidatedChange, alreadyLogged: (hlc: string) => boolean): LostVersionRecord[] {
  const winner: MergeState = {
    hlc: change.hlc,
    nodeId: change.nodeId,
    version: change.version,
    deleted: change.deleted,
    dataJson: change.dataJson,
    vector: change.vector,
    valueVector: change.valueVector ?? change.vector,
  };
  const records: LostVersionRecord[] = [];
  const taken = new Set<string>();
  for (const version of change.lost ?? []) {
    if (taken.has(version.hlc) || alreadyLogged(version.hlc)) continue;
    taken.add(version.hlc);
    const row = {
      id: change.id,
      type: change.type,
      data: version.dataJson,
      version: version.version,
      hlc: version.hlc,
      node_id: version.nodeId,
      deleted: version.deleted ? 1 : 0,
      vector: version.vectorJson,
    };
    const loser: MergeState = {
      hlc: version.hlc,
      nodeId: version.nodeId,
      version: version.version,
      deleted: version.deleted,
      dataJson: version.dataJson,
      vector: version.vector,
      valueVector: version.vector,
    };
    const byDefault = defaultConflictWinner(loser, winner);
    records.push({ row, rule: byDefault.winner === 'remote' ? byDefault.rule : 'custom' });
  }
  return records;
}
