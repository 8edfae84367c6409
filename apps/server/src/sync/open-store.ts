import { SyncError, type SyncStore } from '@trosyn/sync-core';
import { openPostgresStore } from '@trosyn/sync-core/postgres';
import type { StoreSettings } from '../config.js';
import type { Logger } from '../logger.js';

/**
 * Opens the PostgreSQL store of `TROSYN_STORE_URL`. A store that another server (or another
 * process of this one) holds is refused: one replica, one engine.
 */
export async function openStore(settings: StoreSettings, logger: Logger): Promise<SyncStore> {
  let store: SyncStore;
  try {
    store = await openPostgresStore({ connectionString: settings.url, schema: settings.schema });
  } catch (error) {
    if (error instanceof SyncError && error.code === 'store-in-use') {
      throw new Error(
        `TROSYN_STORE_URL: another Trosyn server already uses schema "${settings.schema}" of this database; ` +
          'two nodes must never share one replica: give this node its own TROSYN_STORE_SCHEMA',
        { cause: error },
      );
    }
    throw new Error(`TROSYN_STORE_URL: cannot open the PostgreSQL store: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  logger.log('info', 'replica kept in PostgreSQL', { event: 'store-opened', store: 'postgres', schema: settings.schema, url: redactUrl(settings.url) });
  return store;
}

/** A connection URL without its password, for logs. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://…';
  }
}
