/**
 * Every error `@trosyn/sync-core` throws is a {@link SyncError} with a string `code`; the
 * application maps codes to responses in one place (the library never mentions HTTP).
 */

/** Machine-readable error codes. */
export type SyncErrorCode =
  /** An argument to a public method is invalid (bad id, type, data, option). */
  | 'invalid-argument'
  /** The engine configuration is invalid. */
  | 'invalid-config'
  /** The database belongs to another node id than the one configured. */
  | 'node-id-mismatch'
  /** The database schema is newer than this library version understands. */
  | 'schema-too-new'
  /** The engine was disposed. */
  | 'disposed'
  /** A history entry or item that the call needs does not exist. */
  | 'not-found'
  /** `create` was given the id of a live item. */
  | 'already-exists'
  /** A protocol message is malformed or hostile (wrong types, missing fields, sequence backwards). */
  | 'invalid-message'
  /** A message or page exceeds the configured size limits. */
  | 'payload-too-large'
  /** The peer speaks another protocol version. */
  | 'protocol-mismatch'
  /** The message claims to come from another node than the authenticated peer. */
  | 'peer-mismatch'
  /** A page refers to an epoch this node does not hold a cursor for. */
  | 'epoch-mismatch'
  /** A page starts after the receiver's cursor: changes in between would be lost. */
  | 'cursor-gap'
  /** A remote timestamp is further ahead of the local wall clock than the allowed drift. */
  | 'clock-drift'
  /** A conflict resolver returned an invalid item. */
  | 'invalid-resolution'
  /** Another engine holds the store (two nodes must never write one replica). */
  | 'store-in-use'
  /** The remote side answered with an error message. */
  | 'remote-error'
  /** The transport failed to deliver a request or a response. */
  | 'transport-error';

/** Base class of every error thrown by this package. */
export class SyncError extends Error {
  /** Machine-readable reason; stable across versions. */
  readonly code: SyncErrorCode;

  constructor(code: SyncErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SyncError';
    this.code = code;
  }
}

/**
 * A protocol message (request, page, response) was rejected. Nothing from the message was
 * applied: pages apply entirely or not at all.
 */
export class SyncProtocolError extends SyncError {
  /** Where in the message the problem is, e.g. `page.changes[3].hlc`. */
  readonly path: string | undefined;

  constructor(
    code: 'invalid-message' | 'payload-too-large' | 'protocol-mismatch' | 'peer-mismatch' | 'epoch-mismatch' | 'cursor-gap',
    message: string,
    path?: string,
    options?: ErrorOptions,
  ) {
    super(code, path === undefined ? message : `${message} (at ${path})`, options);
    this.name = 'SyncProtocolError';
    this.path = path;
  }
}

/**
 * A remote timestamp was further ahead of the local wall clock than `maxClockDriftMs`.
 * The page carrying it was rejected, not adopted: fix the clock of the node named here.
 */
export class ClockDriftError extends SyncError {
  /** The offending timestamp. */
  readonly remoteHlc: string;
  /** How far ahead of the local wall clock it is, in milliseconds. */
  readonly driftMs: number;
  /** The configured maximum, in milliseconds. */
  readonly maxDriftMs: number;

  constructor(remoteHlc: string, driftMs: number, maxDriftMs: number) {
    super(
      'clock-drift',
      `remote timestamp ${remoteHlc} is ${Math.round(driftMs)} ms ahead of the local clock (max ${maxDriftMs} ms); ` +
        'check the system clock of the node that wrote it',
    );
    this.name = 'ClockDriftError';
    this.remoteHlc = remoteHlc;
    this.driftMs = driftMs;
    this.maxDriftMs = maxDriftMs;
  }
}

/** A custom conflict resolver returned something that is not a valid item for this conflict. */
export class ConflictResolutionError extends SyncError {
  /** The id of the item whose conflict was being resolved. */
  readonly itemId: string;

  constructor(itemId: string, message: string, options?: ErrorOptions) {
    super('invalid-resolution', `conflict resolver returned an invalid item for ${JSON.stringify(itemId)}: ${message}`, options);
    this.name = 'ConflictResolutionError';
    this.itemId = itemId;
  }
}

/** The remote engine answered a request with an error message. */
export class SyncRemoteError extends SyncError {
  /** The code the remote side reported (one of {@link SyncErrorCode} for a conforming peer). */
  readonly remoteCode: string;

  constructor(remoteCode: string, message: string) {
    super('remote-error', `peer rejected the request: ${remoteCode}: ${message}`);
    this.name = 'SyncRemoteError';
    this.remoteCode = remoteCode;
  }
}
