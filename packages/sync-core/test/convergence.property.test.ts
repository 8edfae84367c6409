import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SyncError, type ConflictRecord, type ConflictResolver, type SyncEngine, type SyncItem } from '../src/index.js';
import { compareVectors } from '../src/primitives.js';
import { allItems, FakeTime, Replicas, storeAdapters, type StoreAdapter } from './helpers.js';

type Op =
  | { readonly kind: 'put'; readonly r: number; readonly item: number; readonly value: number }
  | { readonly kind: 'delete'; readonly r: number; readonly item: number }
  | { readonly kind: 'restore'; readonly r: number; readonly item: number }
  | { readonly kind: 'sync'; readonly from: number; readonly to: number }
  | { readonly kind: 'partition'; readonly groups: readonly number[] }
  | { readonly kind: 'heal' }
  | { readonly kind: 'tick'; readonly ms: number }
  /** Replica `r`'s system clock steps by `ms` (forwards or backwards, within or beyond the drift). */
  | { readonly kind: 'step'; readonly r: number; readonly ms: number };

const DRIFT_MS = 60_000;

const ITEMS = 4;

function scenario(options: { readonly clockSteps?: boolean } = {}): fc.Arbitrary<{ replicas: number; skewsMs: number[]; ops: Op[] }> {
  return fc.integer({ min: 2, max: 5 }).chain((replicas) => {
    const r = fc.integer({ min: 0, max: replicas - 1 });
    const item = fc.integer({ min: 0, max: ITEMS - 1 });
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 5, arbitrary: fc.record({ kind: fc.constant('put' as const), r, item, value: fc.integer({ min: 0, max: 99 }) }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), r, item }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('restore' as const), r, item }) },
      { weight: 4, arbitrary: fc.record({ kind: fc.constant('sync' as const), from: r, to: r }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('partition' as const), groups: fc.array(fc.integer({ min: 0, max: 1 }), { minLength: replicas, maxLength: replicas }) }) },
      { weight: 1, arbitrary: fc.constant({ kind: 'heal' as const }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 5000 }) }) },
      {
        weight: options.clockSteps === true ? 2 : 0,
        // Steps within the drift, just beyond it, and by a day (a dead CMOS battery), both ways.
        arbitrary: fc.record({ kind: fc.constant('step' as const), r, ms: fc.constantFrom(-86_400_000, -90_000, -30_000, 30_000, 90_000, 86_400_000) }),
      },
    );
    return fc.record({
      replicas: fc.constant(replicas),
      // Clocks disagree by up to 40 s in total; the allowed drift is 60 s.
      skewsMs: fc.array(fc.integer({ min: -20_000, max: 20_000 }), { minLength: replicas, maxLength: replicas }),
      ops: fc.array(op, { minLength: 5, maxLength: 40 }),
    });
  });
}

/** A write some replica made (put, delete or restore), as the oracle sees it. */
interface Write {
  readonly item: SyncItem;
}

function strictlyBefore(a: SyncItem, b: SyncItem): boolean {
  return compareVectors(a.vector, b.vector) === 'before';
}

/** Totals over all runs, so the test can show it exercised conflicts and deletions at all. */
const seen = { conflicts: 0, deletedItems: 0, rules: new Set<string>() };

/**
 * A deliberately non-commutative merge (local first): two replicas resolving the same conflict
 * get different results, which the engine must still reconcile.
 */
const concatenate: ConflictResolver = {
  resolve(local, remote, { defaultResolve, nodeId }) {
    if (local.deleted || remote.deleted) return defaultResolve(local, remote);
    return {
      ...local,
      data: { merged: [local.data, remote.data] },
      version: Math.max(local.version, remote.version) + 1,
      hlc: local.hlc > remote.hlc ? local.hlc : remote.hlc,
      nodeId,
    };
  },
};

async function run(adapter: StoreAdapter, input: { replicas: number; skewsMs: number[]; ops: Op[] }, resolver?: ConflictResolver): Promise<void> {
  const time = new FakeTime();
  const replicas = new Replicas(adapter);
  // Each replica's clock: the shared time, its skew, and the steps it took so far.
  const stepsMs = input.skewsMs.map(() => 0);
  try {
    const engines: SyncEngine[] = [];
    for (const [i, skew] of input.skewsMs.entries()) {
      const engine = await replicas.open(`r${i}`, {
        wallClockMicros: () => time.micros + (skew + stepsMs[i]!) * 1000,
        maxClockDriftMs: DRIFT_MS,
        // Clocks beyond the drift: changes are applied, their timestamps not adopted (issue #20).
        futureTimestamps: 'accept',
        pageMaxChanges: 2,
        resolver,
      });
      engines.push(engine);
    }
    const writes: Write[] = [];
    let groups: readonly number[] | undefined;
    for (const op of input.ops) {
      time.advanceMs(0.5);
      switch (op.kind) {
        case 'put':
          writes.push({ item: await engines[op.r]!.put({ id: `item-${op.item}`, type: 't', data: { v: op.value, by: op.r } }) });
          break;
        case 'delete': {
          const tombstone = await engines[op.r]!.delete(`item-${op.item}`);
          if (tombstone !== undefined) writes.push({ item: tombstone });
          break;
        }
        case 'restore':
          try {
            writes.push({ item: await engines[op.r]!.restore(`item-${op.item}`) });
          } catch (error) {
            if (!(error instanceof SyncError && error.code === 'not-found')) throw error;
          }
          break;
        case 'sync': {
          if (op.from === op.to || (groups !== undefined && groups[op.from] !== groups[op.to])) break;
          const report = await replicas.sync(engines[op.from]!, engines[op.to]!);
          expect(report.error).toBeNull();
          break;
        }
        case 'partition':
          groups = op.groups;
          break;
        case 'heal':
          groups = undefined;
          break;
        case 'tick':
          time.advanceMs(op.ms);
          break;
        case 'step':
          stepsMs[op.r]! += op.ms;
          break;
      }
    }

    // Final full exchange: every pair, repeated until every replica holds the same items.
    let snapshots: unknown[][] = [];
    for (let pass = 0; pass < 6; pass++) {
      for (let i = 0; i < engines.length; i++) {
        for (let j = 0; j < engines.length; j++) {
          if (i === j) continue;
          const report = await replicas.sync(engines[i]!, engines[j]!);
          expect(report.error).toBeNull();
        }
      }
      snapshots = await Promise.all(engines.map(allItems));
      if (snapshots.every((s) => JSON.stringify(s) === JSON.stringify(snapshots[0]))) break;
    }
    for (const snapshot of snapshots) expect(snapshot).toEqual(snapshots[0]);

    const conflicts: ConflictRecord[] = [];
    for (const engine of engines) conflicts.push(...(await engine.conflicts({ limit: 1000 })));
    seen.conflicts += conflicts.length;
    for (const c of conflicts) seen.rules.add(c.rule);
    // With a merging resolver the final value may be a merge rather than one write: only
    // convergence is asserted.
    if (resolver !== undefined) return;
    const final = new Map((snapshots[0] as SyncItem[]).map((item) => [item.id, item]));
    for (let i = 0; i < ITEMS; i++) {
      const id = `item-${i}`;
      const itemWrites = writes.filter((w) => w.item.id === id).map((w) => w.item);
      const result = final.get(id);
      if (itemWrites.length === 0) {
        expect(result).toBeUndefined();
        continue;
      }
      expect(result).toBeDefined();
      if (result!.deleted) seen.deletedItems += 1;
      const maximal = itemWrites.filter((w) => !itemWrites.some((other) => strictlyBefore(w, other)));
      const winner = maximal.find((w) => w.hlc === result!.hlc && w.nodeId === result!.nodeId);
      // The final value is one of the writes that no other write superseded.
      expect(winner, `final value of ${id} is a maximal write`).toBeDefined();
      expect(result!.deleted).toBe(winner!.deleted);
      // No deleted item came back: a value a deletion had seen never wins.
      if (!result!.deleted) {
        for (const d of itemWrites.filter((w) => w.deleted)) expect(strictlyBefore(winner!, d)).toBe(false);
      }
      // A deletion concurrent with every other surviving version wins.
      if (maximal.some((w) => w.deleted)) expect(result!.deleted, `${id}: a maximal deletion wins`).toBe(true);
      // Every concurrent version that lost appears in some replica's conflict log.
      for (const loser of maximal.filter((w) => w !== winner)) {
        const logged = conflicts.some((c) => c.itemId === id && (c.local.hlc === loser.hlc || c.remote.hlc === loser.hlc));
        expect(logged, `losing version ${loser.hlc} of ${id} is in a conflict log`).toBe(true);
      }
    }
  } finally {
    await replicas.cleanup();
  }
}

// Over PostgreSQL every replica is a schema of a real server (created, migrated, locked): fewer runs.
const runsOn = (adapter: StoreAdapter): number => Number(process.env.PROP_RUNS ?? 60) / (adapter.name === 'postgres' ? 4 : 1);

describe.each(storeAdapters)('SyncEngine convergence (property, $name store)', (adapter) => {
  it('replicas end identical after a full exchange, nothing deleted comes back, every conflict is logged', async () => {
    await fc.assert(fc.asyncProperty(scenario(), (input) => run(adapter, input)), { numRuns: runsOn(adapter) });
    expect(seen.conflicts).toBeGreaterThan(0);
    expect(seen.deletedItems).toBeGreaterThan(0);
    expect(seen.rules).toContain('lww');
    expect(seen.rules).toContain('delete-wins');
  }, 300_000);

  it('replicas end identical, nothing deleted comes back, every conflict is logged, while clocks step both ways', async () => {
    const before = seen.conflicts;
    await fc.assert(fc.asyncProperty(scenario({ clockSteps: true }), (input) => run(adapter, input)), { numRuns: runsOn(adapter) });
    expect(seen.conflicts).toBeGreaterThan(before);
  }, 300_000);

  it('replicas end identical even with a non-commutative merging resolver', async () => {
    await fc.assert(
      fc.asyncProperty(scenario(), (input) => run(adapter, input, concatenate)),
      { numRuns: Math.ceil(runsOn(adapter) / 2) },
    );
    expect(seen.rules).toContain('custom');
  }, 300_000);
});
