import { SyncError } from './errors.js';
import { futureTimestampPolicy, type FutureTimestampPolicy } from './future-timestamps.js';
import type { SyncEngineConfig } from './sync-types.js';

const DAY_MS = 86_400_000;

/** The engine's limits and retention settings, validated, with defaults filled in. */
export interface ResolvedConfig {
  readonly maxClockDriftMs: number;
  readonly futureTimestamps: FutureTimestampPolicy;
  readonly tombstoneRetentionMs: number;
  readonly historyMaxVersions: number;
  readonly historyMaxAgeMs: number;
  readonly maxItemBytes: number;
  readonly pageMaxChanges: number;
  readonly pageMaxBytes: number;
}

function positiveOption(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new SyncError('invalid-config', `${name} must be a positive number, got ${String(value)}`);
  }
  return value;
}

/**
 * Validates the numeric options of a {@link SyncEngineConfig} and fills in the defaults. A page
 * always holds at least one item of the largest size.
 * @throws {SyncError} `invalid-config` naming the option.
 */
export function resolveConfig(config: SyncEngineConfig): ResolvedConfig {
  const maxItemBytes = positiveOption('maxItemBytes', config.maxItemBytes, 1024 * 1024);
  return Object.freeze({
    maxClockDriftMs: positiveOption('maxClockDriftMs', config.maxClockDriftMs, 60_000),
    futureTimestamps: futureTimestampPolicy(config.futureTimestamps),
    tombstoneRetentionMs: positiveOption('tombstoneRetentionMs', config.tombstoneRetentionMs, 30 * DAY_MS),
    historyMaxVersions: Math.floor(positiveOption('historyMaxVersions', config.historyMaxVersions, 50)),
    historyMaxAgeMs: positiveOption('historyMaxAgeMs', config.historyMaxAgeMs, 90 * DAY_MS),
    maxItemBytes,
    pageMaxChanges: Math.floor(positiveOption('pageMaxChanges', config.pageMaxChanges, 1000)),
    pageMaxBytes: Math.max(maxItemBytes + 4096, positiveOption('pageMaxBytes', config.pageMaxBytes, 4 * 1024 * 1024)),
  });
}

/** The SQLite page cache size option, in KiB (default 32 MiB). */
export function cacheSizeOption(config: SyncEngineConfig): number {
  return Math.floor(positiveOption('cacheSizeKiB', config.cacheSizeKiB, 32 * 1024));
}
