import type { SyncRequest, SyncResponse } from './messages.js';

/** Options of one {@link SyncTransport.request}. */
export interface SyncTransportRequestOptions {
  /** Aborts the request; the transport rejects with the signal's reason. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Carries sync requests from this node to one peer and brings back the peer's response.
 *
 * A transport is bound to one peer. It must deliver the request to the peer's
 * {@link SyncResponder.handleSyncRequest} as a JSON-equivalent value (the messages are plain
 * JSON-serialisable objects), tell the responder who is asking (the authenticated peer id),
 * and resolve with the responder's response unchanged. Failures to deliver reject (any
 * error); responses the peer sent, including `{ type: 'error' }` ones, resolve. The engine
 * validates every response, so a transport need not trust or inspect them.
 *
 * `@trosyn/sync-core/testing` has an in-memory implementation and `runSyncTransportTests`,
 * the contract suite every implementation must pass.
 */
export interface SyncTransport {
  request(message: SyncRequest, options?: SyncTransportRequestOptions): Promise<unknown>;
}

/** Who sent a request, as established by the transport (e.g. from an authenticated session). */
export interface SyncRequestContext {
  /** The authenticated node id of the requester. */
  readonly peerId: string;
}

/**
 * The responder side of the protocol: what a transport's server calls with each request it
 * receives. {@link SyncEngine} implements it.
 */
export interface SyncResponder {
  /**
   * Handles one untrusted request. Never throws for a bad request: protocol and validation
   * failures come back as `{ type: 'error', code, message }` responses (nothing applied).
   */
  handleSyncRequest(message: unknown, context: SyncRequestContext): Promise<SyncResponse>;
}
