/**
 * How this node's clock compares with its peers':
 * - `unknown`: no peer measured recently;
 * - `ok`: not `ahead` nor `behind`;
 * - `ahead` / `behind`: more than half the allowed drift from a majority of the peers — beyond the
 *   drift, handshakes are refused both ways;
 * - `hlc-ahead`: the clock agrees with the peers, but the HLC still runs ahead of it (the clock
 *   was ahead earlier and has been corrected): local writes are stamped ahead until real time
 *   reaches the HLC; peers accept them, and they win concurrent edits until then.
 */
export type ClockStatus = 'unknown' | 'ok' | 'ahead' | 'behind' | 'hlc-ahead';

/** One measurement of a peer's clock, taken at a handshake. */
export interface PeerClockSample {
  /** The peer's node id (inbound, or once known) or its address. */
  readonly peer: string;
  /** This node's clock minus the peer's, ms: positive when this node is ahead. */
  readonly offsetMs: number;
}

/** The clock section of `/health` and of the sync status. */
export interface ClockReport {
  readonly status: ClockStatus;
  /** This node's clock minus its peers' (median of the latest sample of each), ms; null when unknown. */
  readonly offset_ms: number | null;
  readonly peers_compared: number;
  /** `LAN_SYNC_MAX_CLOCK_DRIFT` in ms. */
  readonly max_drift_ms: number;
  /** How far this node's HLC runs ahead of its wall clock, ms (0 when it does not). */
  readonly hlc_ahead_ms: number;
  /** Changes accepted from peers although stamped beyond the drift (their writer's clock ran ahead). */
  readonly future_changes_accepted: number;
  /** What is wrong and what to do, when something is. */
  readonly message: string | null;
}

/** Construction config of {@link ClockHealth}. */
export interface ClockHealthConfig {
  readonly maxDriftMs: number;
  /** Samples older than this are forgotten. Default 15 minutes. */
  readonly sampleTtlMs?: number;
  /** The HLC's lead over the wall clock, ms (read when a report is made). */
  readonly hlcAheadMs: () => number;
  /** Called when the status changes, with the new report (to log it loudly). */
  readonly onChange?: (report: ClockReport, previous: ClockStatus) => void;
}

const seconds = (ms: number): string => `${Math.round(Math.abs(ms) / 1000)} s`;

/**
 * Collects the clock offsets measured at handshakes (both directions) and judges this node's
 * clock against the peers' median, as HLC systems do (CockroachDB compares each node's clock
 * with the others' and refuses to run beyond its maximum offset). A pure state machine apart
 * from the clock it is given: `now` is passed in.
 */
export class ClockHealth {
  readonly #config: Required<Omit<ClockHealthConfig, 'onChange'>> & Pick<ClockHealthConfig, 'onChange'>;
  readonly #samples = new Map<string, { offsetMs: number; at: number }>();
  #futureChanges = 0;
  #status: ClockStatus = 'unknown';

  constructor(config: ClockHealthConfig) {
    this.#config = Object.freeze({ sampleTtlMs: 15 * 60_000, ...config });
  }

  /** Records a peer's offset (the latest per peer counts) and re-evaluates. */
  record(sample: PeerClockSample, now: number): void {
    if (!Number.isFinite(sample.offsetMs)) return;
    this.#samples.set(sample.peer, { offsetMs: sample.offsetMs, at: now });
    this.report(now);
  }

  /** Counts changes a peer sent stamped beyond the drift (accepted, timestamps not adopted). */
  recordFutureChanges(changes: number, now: number): void {
    this.#futureChanges += changes;
    this.report(now);
  }

  /** The latest offset measured with `peer`, ms (this node minus the peer), if recent. */
  offsetWith(peer: string, now: number): number | undefined {
    const sample = this.#samples.get(peer);
    return sample === undefined || now - sample.at > this.#config.sampleTtlMs ? undefined : sample.offsetMs;
  }

  /** The current verdict; calls `onChange` when it differs from the last one. */
  report(now: number): ClockReport {
    for (const [peer, sample] of this.#samples) if (now - sample.at > this.#config.sampleTtlMs) this.#samples.delete(peer);
    const offsets = [...this.#samples.values()].map((sample) => sample.offsetMs).sort((a, b) => a - b);
    const offset = offsets.length === 0 ? null : median(offsets);
    const hlcAheadMs = Math.max(0, Math.round(this.#config.hlcAheadMs()));
    const { maxDriftMs } = this.#config;
    let status: ClockStatus;
    let message: string | null = null;
    // A majority of the peers must see this node off in the same direction: one peer with a wrong
    // clock does not make the others report theirs.
    const far = maxDriftMs / 2;
    const ahead = offsets.filter((value) => value > far).length;
    const behind = offsets.filter((value) => value < -far).length;
    if (offset !== null && (ahead * 2 > offsets.length || behind * 2 > offsets.length)) {
      status = ahead > behind ? 'ahead' : 'behind';
      message =
        `This node's clock is ${seconds(offset)} ${status} of its peers' (median of ${offsets.length}); ` +
        `beyond LAN_SYNC_MAX_CLOCK_DRIFT (${seconds(maxDriftMs)}) they refuse each other's handshakes. ` +
        'Fix the system clock (enable NTP, check the CMOS battery): the node follows it at once, no restart needed.';
    } else if (hlcAheadMs > maxDriftMs) {
      status = 'hlc-ahead';
      message =
        `This node's HLC runs ${seconds(hlcAheadMs)} ahead of its clock (the clock was ahead earlier): its writes are stamped ` +
        'ahead until real time reaches the HLC. Peers accept them, and they win concurrent edits until then.';
    } else status = offset === null ? 'unknown' : 'ok';
    const report: ClockReport = {
      status,
      offset_ms: offset === null ? null : Math.round(offset),
      peers_compared: offsets.length,
      max_drift_ms: maxDriftMs,
      hlc_ahead_ms: hlcAheadMs,
      future_changes_accepted: this.#futureChanges,
      message,
    };
    if (status !== this.#status) {
      const previous = this.#status;
      this.#status = status;
      this.#config.onChange?.(report, previous);
    }
    return report;
  }
}

function median(sorted: readonly number[]): number {
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
