import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/**
 * Number of items of `type` in a node's database (`<dataDir>/sync.sqlite`), read directly and
 * read-only (WAL lets a reader in beside the running node), so a test can watch a sync progress
 * page by page at a rate the data API's paginated listing could not. 0 before the file exists.
 */
export function countItems(dataDir: string, type: string): number {
  const file = join(dataDir, 'sync.sqlite');
  if (!existsSync(file)) return 0;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 1000');
    // sync_items is @trosyn/sync-core's item table (its schema.ts).
    return (db.prepare('SELECT count(*) AS n FROM sync_items WHERE type = ?').get(type) as { n: number }).n;
  } catch (error) {
    // The node has created the file but not yet its tables.
    if (error instanceof Error && /no such table/.test(error.message)) return 0;
    throw error;
  } finally {
    db.close();
  }
}
