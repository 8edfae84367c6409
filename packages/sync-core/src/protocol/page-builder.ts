import { parseVector, type ItemRow } from '../item-rows.js';
import { estimateChangeBytes, type ValidatedLostVersion } from '../message-validator.js';
import type { Change, ChangePage, PageLimits } from '../messages.js';
import type { JsonValue } from '../sync-item.js';

/** Where a page starts and for whom, and what the log around it looks like. */
export interface PageRequest {
  /** This node's id and log epoch (the page's sender). */
  readonly nodeId: string;
  readonly epoch: string;
  /** The last sequence number of this node's log. */
  readonly lastSeq: number;
  /** The receiver: changes it produced or sent us are echoes. */
  readonly peerId: string;
  /** The page covers log positions after this one. */
  readonly after: number;
  readonly mode: 'delta' | 'full';
  readonly limits: PageLimits;
  /** How far the receiver's log has reached us (acknowledges our log), or `null`. */
  readonly receiverCursor: ChangePage['receiverCursor'];
  /** Whether echoes are left out: valid only while the receiver keeps the epoch our markers were set in. */
  readonly suppressEchoes: boolean;
}

/** A built page and its estimated size in bytes. */
export interface BuiltPage {
  readonly page: ChangePage;
  readonly bytes: number;
}

/**
 * Builds one page of this node's log from the rows after `request.after`, in log order. Pure:
 * `chunks` (rows in log order, in chunks) is read only as far as the page needs (the store's
 * rows through the log end that `request.lastSeq` names); `lostVersions` gives a resolved state's absorbed conflict losers
 * (called only for rows with a value vector).
 *
 * Nothing is sent that the receiver already has (a state it produced, or sent us verbatim);
 * a full resync still names such echoes (`echoIds`) so the receiver's sweep does not take
 * them for items we lost. A page ends at `maxChanges`, at `maxBytes` (never before its first
 * change), or after examining twenty times `maxChanges` rows, so a long run of echoes still
 * ends a cheap page; the cursor then moves past them.
 */
export async function buildPage(
  request: PageRequest,
  chunks: Iterable<readonly ItemRow[]> | AsyncIterable<readonly ItemRow[]>,
  lostVersions: (row: ItemRow) => readonly ValidatedLostVersion[] | Promise<readonly ValidatedLostVersion[]>,
): Promise<BuiltPage> {
  const { peerId, after, mode, limits, receiverCursor, suppressEchoes } = request;
  const changes: Change[] = [];
  const echoIds: string[] | undefined = mode === 'full' && suppressEchoes && receiverCursor !== null && receiverCursor.seq > 0 ? [] : undefined;
  let bytes = 0;
  let through = after;
  let exhausted = true;
  const maxExamined = limits.maxChanges * 20;
  let examined = 0;
  // Rows come in chunks so that only a chunk, not every row, costs an await.
  scan: for await (const rows of chunks) for (const row of rows) {
    if (examined >= maxExamined || changes.length >= limits.maxChanges) {
      exhausted = false;
      break scan;
    }
    // A state the peer produced itself, or received from it verbatim, is at most as new as
    // the peer's own state. Only valid while the peer keeps the same epoch (markers are
    // cleared when its epoch changes).
    const echo = suppressEchoes && (row.origin === peerId || row.from_peer === peerId);
    if (echo) {
      if (echoIds !== undefined) {
        const size = row.id.length + 3;
        if (bytes + size > limits.maxBytes) {
          exhausted = false;
          break scan;
        }
        bytes += size;
        echoIds.push(row.id);
      }
    } else {
      const lost = row.value_vector === null ? [] : await lostVersions(row);
      const size = estimateChangeBytes(row.id, row.type, row.data, row.vector, row.value_vector, lost);
      if (changes.length > 0 && bytes + size > limits.maxBytes) {
        exhausted = false;
        break;
      }
      bytes += size;
      changes.push(rowToChange(row, lost));
    }
    through = row.seq;
    examined += 1;
  }
  if (exhausted) through = Math.max(after, request.lastSeq);
  const page: ChangePage = { nodeId: request.nodeId, epoch: request.epoch, mode, after, through, hasMore: !exhausted, changes, receiverCursor };
  return { page: echoIds === undefined ? page : { ...page, echoIds }, bytes };
}

/** A stored row as the change a page carries, with its value vector and lost versions when it has them. */
function rowToChange(row: ItemRow, lost: readonly ValidatedLostVersion[]): Change {
  const change: Change = {
    seq: row.seq,
    id: row.id,
    type: row.type,
    data: row.data === null ? null : (JSON.parse(row.data) as JsonValue),
    deleted: row.deleted === 1,
    version: row.version,
    hlc: row.hlc,
    nodeId: row.node_id,
    vector: parseVector(row.vector),
    origin: row.origin,
  };
  if (row.value_vector === null) return change;
  const withValue: Change = { ...change, valueVector: parseVector(row.value_vector) };
  if (lost.length === 0) return withValue;
  return { ...withValue, lost: lost.map(({ data, deleted, version, hlc, nodeId, vector }) => ({ data, deleted, version, hlc, nodeId, vector })) };
}
