/**
 * `@trosyn/sync-core/primitives`: the building blocks under the engine, for transports, tools
 * and tests that need them: the hybrid logical clock, the system wall clock, version vectors,
 * node ids, the validation of protocol messages and the drift screening of received timestamps.
 * @packageDocumentation
 */
export { HybridLogicalClock, encodeHlc, decodeHlc, compareHlc, isValidHlc, type HlcTimestamp, type HybridLogicalClockConfig } from './hlc.js';
export { createSystemWallClock, systemWallClockMicros, type WallClockSources } from './system-wall-clock.js';
export { compareVectors, joinVectors, type VersionVector, type CausalOrder } from './version-vector.js';
export { isValidNodeId } from './node-id.js';
export { parseSyncRequest, parseSyncResponse, parseChangePage, type ValidationLimits } from './message-validator.js';
export { futureTimestampPolicy, scanPageTimestamps, type FutureTimestampPolicy, type PageTimestamps } from './future-timestamps.js';
export { decideMerge, defaultConflictWinner, type MergeDecision, type MergeState } from './resolution.js';
