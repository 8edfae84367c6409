import type { SqliteDatabase, SqliteStatement } from './sqlite-database.js';


/**
 * Every SQL statement of the engine, prepared once when it opens. Positional parameters: binding
 * a named-parameter object costs a property lookup per column on the hot paths.
 */
export function prepareEngineStatements(db: SqliteDatabase) {
  const p = (sql: string): SqliteStatement => db.prepare(sql);
  return {
    allMeta: p('SELECT key, value FROM sync_meta'),
    setMeta: p('INSERT INTO sync_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
    getItem: p('SELECT * FROM sync_items WHERE id = ?'),
    getItems: p('SELECT * FROM sync_items WHERE id IN (SELECT value FROM json_each(?))'),
    upsertItem: p(
      `INSERT INTO sync_items (id, type, data, version, hlc, node_id, deleted, vector, value_vector, seq, origin, from_peer)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET type = excluded.type, data = excluded.data, version = excluded.version, hlc = excluded.hlc,
         node_id = excluded.node_id, deleted = excluded.deleted, vector = excluded.vector, value_vector = excluded.value_vector,
         seq = excluded.seq, origin = excluded.origin, from_peer = excluded.from_peer`,
    ),
    insertHistory: p(
      `INSERT INTO sync_history (item_id, type, data, version, hlc, node_id, deleted, vector, reason, recorded_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertConflict: p(
      `INSERT INTO sync_conflicts (item_id, peer_id, rule, winner, local, remote, result, detected_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    scanLog: p('SELECT * FROM sync_items WHERE seq > ? AND seq <= ? ORDER BY seq'),
    feedRange: p('SELECT * FROM sync_items WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?'),
    // `+type`: keeps SQLite on the seq index; the type index would make it sort every item of the type.
    feedRangeOfType: p('SELECT * FROM sync_items WHERE seq > ? AND seq <= ? AND +type = ? ORDER BY seq LIMIT ?'),
    getPeer: p('SELECT * FROM sync_peers WHERE peer_id = ?'),
    allPeers: p('SELECT * FROM sync_peers ORDER BY peer_id'),
    ensurePeer: p('INSERT INTO sync_peers (peer_id) VALUES (?) ON CONFLICT (peer_id) DO NOTHING'),
    setPeerCursor: p('UPDATE sync_peers SET epoch = ?, cursor = ?, resyncing = ?, sweep_through = ? WHERE peer_id = ?'),
    setPeerAcked: p('UPDATE sync_peers SET acked_epoch = ?, acked = ? WHERE peer_id = ?'),
    setPeerSuccess: p('UPDATE sync_peers SET last_attempt = ?, last_success = ? WHERE peer_id = ?'),
    setPeerError: p('UPDATE sync_peers SET last_attempt = coalesce(?, last_attempt), last_error_code = ?, last_error = ?, last_error_at = ? WHERE peer_id = ?'),
    insertSeen: p('INSERT OR IGNORE INTO sync_resync_seen (peer_id, item_id) VALUES (?, ?)'),
    clearSeen: p('DELETE FROM sync_resync_seen WHERE peer_id = ?'),
    forgetFromPeer: p('UPDATE sync_items SET from_peer = NULL WHERE from_peer = ?'),
    forgetOrigin: p('UPDATE sync_items SET origin = ? WHERE origin = ?'),
    liveUpTo: p('SELECT * FROM sync_items WHERE deleted = 0 AND seq <= ?'),
    sweepCandidates: p(
      `SELECT * FROM sync_items AS i WHERE i.deleted = 0 AND i.seq <= ?
         AND NOT EXISTS (SELECT 1 FROM sync_resync_seen AS s WHERE s.peer_id = ? AND s.item_id = i.id)`,
    ),
    countPending: p(
      `SELECT count(*) AS n FROM sync_items WHERE seq > ? AND origin <> ? AND (from_peer IS NULL OR from_peer <> ?)`,
    ),
    latestLiveHistory: p('SELECT * FROM sync_history WHERE item_id = ? AND deleted = 0 ORDER BY id DESC LIMIT 1'),
    conflictLosers: p("SELECT * FROM sync_history WHERE item_id = ? AND reason = 'conflict-loser' ORDER BY id DESC LIMIT 64"),
    hasConflictLoser: p("SELECT 1 FROM sync_history WHERE item_id = ? AND hlc = ? AND reason = 'conflict-loser' LIMIT 1"),
    getHistory: p('SELECT * FROM sync_history WHERE id = ?'),
    listHistory: p('SELECT * FROM sync_history WHERE item_id = ? ORDER BY id DESC LIMIT ?'),
    listHistoryBefore: p('SELECT * FROM sync_history WHERE item_id = ? AND id < ? ORDER BY id DESC LIMIT ?'),
    acknowledgeConflicts: p('UPDATE sync_conflicts SET acknowledged_at = ? WHERE id IN (SELECT value FROM json_each(?)) AND acknowledged_at IS NULL'),
    expiredTombstones: p('SELECT id, seq FROM sync_items WHERE deleted = 1 AND hlc < ?'),
    deleteItem: p('DELETE FROM sync_items WHERE id = ?'),
    pruneHistoryAge: p('DELETE FROM sync_history WHERE recorded_at < ?'),
    pruneHistoryCount: p(
      `DELETE FROM sync_history WHERE id IN (
         SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY item_id ORDER BY id DESC) AS rn FROM sync_history) WHERE rn > ?)`,
    ),
  };
}

/** The SQLite store's prepared statements, by name. */
export type EngineStatements = ReturnType<typeof prepareEngineStatements>;
