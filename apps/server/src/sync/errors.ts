/**
 * Failures of the LAN sync runtime (the HTTP transport, the sync server, the peer scheduler),
 * as a string `code`:
 *
 * - `malformed-frame`: a sealed request or response body is not a valid frame.
 * - `http-status`: the peer answered with an unexpected HTTP status (`status` says which).
 * - `handshake-refused`: the peer refused our handshake (wrong secret, clock skew, rate limit).
 * - `peer-changed`: the node answering at a configured address is not the one seen before.
 * - `unreachable`: the peer could not be reached (connection refused, timeout, reset).
 * - `timeout`: the peer took longer than the request timeout.
 * - `payload-too-large`: a request body to the sync port is larger than its route accepts.
 * - `closed`: the transport or service was closed.
 * - `weak-secret`: `LAN_SYNC_SHARED_SECRET` is empty or the documented default.
 *
 * The sync server maps peer-facing refusals to statuses in `sync-server.ts`; the data API maps
 * engine errors in `routes/data-api/engine-error.ts`.
 */
export type LanSyncErrorCode = 'malformed-frame' | 'http-status' | 'handshake-refused' | 'peer-changed' | 'unreachable' | 'timeout' | 'closed' | 'weak-secret' | 'payload-too-large';

/** Options of a {@link LanSyncError}. */
export interface LanSyncErrorOptions {
  readonly cause?: unknown;
  /** HTTP status of the peer's answer, for `http-status` and `handshake-refused`. */
  readonly status?: number;
  /** The peer's error code (from its JSON error body), if it sent one. */
  readonly remoteCode?: string;
}

/** The one error class of the LAN sync runtime. Messages name the peer, never secrets. */
export class LanSyncError extends Error {
  /** What went wrong, as a stable string. */
  readonly code: LanSyncErrorCode;
  /** HTTP status of the peer's answer, when there was one. */
  readonly status: number | undefined;
  /** The peer's own error code, when it sent one. */
  readonly remoteCode: string | undefined;

  constructor(code: LanSyncErrorCode, message: string, options: LanSyncErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LanSyncError';
    this.code = code;
    this.status = options.status;
    this.remoteCode = options.remoteCode;
  }
}
