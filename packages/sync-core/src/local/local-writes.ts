import type { EngineCore } from '../engine-core.js';
import { SyncError } from '../errors.js';
import { rowToItem, type ItemRow } from '../item-rows.js';
import type { SyncItem } from '../sync-item.js';
import type { PreparedWrite } from './input-checks.js';

/**
 * One batch writing `prepared` (all or none), under the write lock; with `mustBeAbsent`, a
 * live item with one of the ids fails it. The check reads under the lock, so two creates of
 * one id cannot both succeed. Later writes of an id in the batch supersede earlier ones.
 */
export function writeItems(core: EngineCore, prepared: readonly PreparedWrite[], mustBeAbsent: boolean): Promise<SyncItem[]> {
  return core.mutex.run(async () => {
    core.assertOpen();
    const previous = await core.store.getItems(prepared.map((p) => p.id));
    if (mustBeAbsent) {
      for (const { id } of prepared) {
        if (previous.get(id)?.deleted === 0) throw new SyncError('already-exists', `an item with id ${JSON.stringify(id)} already exists`);
      }
    }
    const batch = core.newBatch();
    const changed: ItemRow[] = [];
    for (const { id, type, dataJson } of prepared) {
      const row = batch.writeLocal(core.nodeId, core.clock.now(), { id, type, dataJson, deleted: false }, previous.get(id));
      previous.set(id, row);
      changed.push(row);
    }
    await core.commit(batch.build({ meta: core.counters(batch.lastSeq) }));
    return emitLocal(core, changed);
  });
}

/** Writes a tombstone for a live item; `undefined` when there is none. */
export function deleteItem(core: EngineCore, id: string): Promise<SyncItem | undefined> {
  return core.mutex.run(async () => {
    core.assertOpen();
    const previous = (await core.store.getItems([id])).get(id);
    if (previous === undefined || previous.deleted === 1) return undefined;
    const batch = core.newBatch();
    const row = batch.writeLocal(core.nodeId, core.clock.now(), { id, type: previous.type, dataJson: null, deleted: true }, previous);
    await core.commit(batch.build({ meta: core.counters(batch.lastSeq) }));
    return emitLocal(core, [row])[0];
  });
}

/** The written rows as items, announced as local `item-changed` events. */
function emitLocal(core: EngineCore, rows: readonly ItemRow[]): SyncItem[] {
  const items = rows.map(rowToItem);
  if (core.events.has('item-changed')) items.forEach((item, i) => core.events.emit('item-changed', { item, source: 'local', peerId: null, seq: rows[i]!.seq }));
  return items;
}
