import { AsyncMutex } from './async-mutex.js';
import type { ResolvedConfig } from './engine-config.js';
import { SyncError } from './errors.js';
import type { HybridLogicalClock } from './hlc.js';
import type { ConflictResolver } from './merge/conflict-resolver.js';
import type { ValidationLimits } from './message-validator.js';
import type { PageLimits } from './messages.js';
import type { LogState } from './protocol/cursor-rules.js';
import { BatchBuilder } from './store/batch-builder.js';
import type { SyncStore } from './store/sync-store.js';
import type { CommitResult, WriteBatch } from './store/write-batch.js';
import type { SyncEngineEvents } from './sync-types.js';
import { TypedEmitter } from './typed-emitter.js';

/**
 * What the engine's parts share: the store, the clock, the log's state, the write lock and the
 * events. The log's end, epoch and collection point move only when a batch that changes them
 * is committed ({@link EngineCore.commit}), so readers never see a position that is not stored.
 */
export class EngineCore {
  readonly mutex = new AsyncMutex();
  readonly events = new TypedEmitter<SyncEngineEvents>();
  readonly validationLimits: ValidationLimits;
  epoch: string;
  lastSeq: number;
  gcSeq: number;
  disposed = false;
  /** Why the engine cannot go on (its store refused the first commit of a new database). */
  #failure: unknown;

  constructor(
    readonly store: SyncStore,
    readonly config: ResolvedConfig,
    readonly clock: HybridLogicalClock,
    readonly nodeId: string,
    readonly resolver: ConflictResolver | undefined,
    log: LogState,
  ) {
    this.epoch = log.epoch;
    this.lastSeq = log.lastSeq;
    this.gcSeq = log.gcSeq;
    this.validationLimits = { maxChanges: config.pageMaxChanges, maxBytes: config.pageMaxBytes, maxItemBytes: config.maxItemBytes };
  }

  /** Where the change log stands. */
  get log(): LogState {
    return { epoch: this.epoch, lastSeq: this.lastSeq, gcSeq: this.gcSeq };
  }

  /** The page limits this node applies to pages it sends and receives. */
  get ownLimits(): PageLimits {
    return { maxChanges: this.config.pageMaxChanges, maxBytes: this.config.pageMaxBytes };
  }

  /** @throws {SyncError} `disposed` once the engine was disposed; the store's error once it failed. */
  assertOpen(): void {
    if (this.disposed) throw new SyncError('disposed', 'the sync engine was disposed');
    if (this.#failure !== undefined) throw this.#failure;
  }

  /** Stops the engine: every later call throws `error`. */
  fail(error: unknown): void {
    this.#failure = error;
  }

  /** A batch starting at the current end of the log. */
  newBatch(): BatchBuilder {
    return new BatchBuilder(this.lastSeq, () => this.clock.wallMicros());
  }

  /** The meta values a batch of item writes carries: the new log end and the clock. */
  counters(lastSeq: number): Record<string, string> {
    return { last_seq: String(lastSeq), clock: this.clock.last };
  }

  /** Commits a batch, then moves the in-memory log state to what it stored. */
  async commit(batch: WriteBatch): Promise<CommitResult> {
    const result = await this.store.commit(batch);
    const meta = batch.meta;
    if (meta !== undefined) {
      if (meta.last_seq !== undefined) this.lastSeq = Number(meta.last_seq);
      if (meta.gc_seq !== undefined) this.gcSeq = Number(meta.gc_seq);
      if (meta.epoch !== undefined) this.epoch = meta.epoch;
    }
    return result;
  }
}
