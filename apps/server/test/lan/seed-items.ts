import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { SyncEngine } from '@trosyn/sync-core';

/**
 * Writes `count` items of about 1 KB (`type`, ids `<prefix>-<n>`) straight into a node's
 * database (`<dataDir>/sync.sqlite`) before the node starts, as that node (`nodeId`, which the
 * node must then be started with through `LAN_SYNC_NODE_ID`). Thousands of items through the
 * data API one request at a time would take most of a test's time budget.
 */
export async function seedItems(dataDir: string, nodeId: string, count: number, type: string, prefix = type): Promise<void> {
  const engine = new SyncEngine({ database: join(dataDir, 'sync.sqlite'), nodeId });
  try {
    for (let start = 0; start < count; start += 1_000) {
      const batch = [];
      for (let n = start; n < Math.min(count, start + 1_000); n++) {
        batch.push({ id: `${prefix}-${String(n).padStart(7, '0')}`, type, data: { n, text: randomBytes(496).toString('hex') } });
      }
      await engine.putMany(batch);
    }
  } finally {
    await engine.dispose();
  }
}
