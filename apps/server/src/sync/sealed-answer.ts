import type { SealedFramePieces } from '@trosyn/crypto';

// What the sync port answers to one sealed request, whichever carrier brought it (an HTTP
// request or a sync stream frame): shared by the sync server and the stream server.

/** The statuses of a refused sealed request. */
export type RefusalStatus = 400 | 401 | 403 | 409 | 413 | 429 | 503;

/** A sealed request that was refused: what to answer, and whether it was a failed authentication. */
export interface Refused {
  readonly kind: 'refused';
  readonly status: RefusalStatus;
  readonly code: string;
  readonly message: string;
  readonly countsAsFailure: boolean;
}

/**
 * What answering one sealed request came to: the sealed response (200, or 422 for a sync error),
 * as the frame's two pieces (`Session.sealFramePieces`: written one after the other, a large
 * answer is not copied into one buffer), or a refusal.
 */
export type SealedAnswer = { readonly kind: 'sealed'; readonly status: 200 | 422; readonly body: SealedFramePieces } | Refused;
