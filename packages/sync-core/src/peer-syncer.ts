import type { SyncEngine } from './sync-engine.js';
import type { SyncTransport } from './sync-transport.js';
import type { SyncRoundOptions, SyncRoundReport } from './sync-types.js';

/** Construction config of {@link PeerSyncer}. */
export interface PeerSyncerConfig {
  readonly engine: SyncEngine;
  /** The peer's node id (as the transport authenticates it). */
  readonly peerId: string;
  /** A transport bound to that peer. */
  readonly transport: SyncTransport;
}

/**
 * Runs sync rounds with one peer, never two at once: a round requested while one is running
 * joins it. Rounds are pull-then-push ({@link SyncEngine.syncWith}).
 *
 * @example
 * ```ts
 * const syncer = new PeerSyncer({ engine, peerId: 'node-b', transport });
 * const report = await syncer.syncOnce();
 * if (!report.ok) console.warn(report.error);
 * ```
 */
export class PeerSyncer {
  readonly #config: PeerSyncerConfig;
  #running: Promise<SyncRoundReport> | undefined;

  constructor(config: PeerSyncerConfig) {
    this.#config = Object.freeze({ ...config });
  }

  /** The peer this syncer talks to. */
  get peerId(): string {
    return this.#config.peerId;
  }

  /** Whether a round is in progress. */
  get running(): boolean {
    return this.#running !== undefined;
  }

  /** Runs one round (or joins the running one) and returns its report. */
  syncOnce(options: SyncRoundOptions = {}): Promise<SyncRoundReport> {
    if (this.#running !== undefined) return this.#running;
    const round = this.#config.engine.syncWith(this.#config.peerId, this.#config.transport, options).finally(() => {
      this.#running = undefined;
    });
    this.#running = round;
    return round;
  }
}
