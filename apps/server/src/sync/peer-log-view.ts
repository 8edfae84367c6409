import type { LogCursor, PageLimits, PeerLogPosition, PullRequest } from '@trosyn/sync-core';

// What a transport learns from a peer's answers, kept pure: where the peer stands in our log
// (for push-only rounds), and which pull the engine will send next (for prefetching).

/** Where the peer stands in this node's log, as its last answers said. */
export interface PeerLogView {
  readonly yourCursor: LogCursor | null;
  readonly limits: PageLimits;
}

/**
 * The view after one answer: a pull page sets it (`yourCursor`, `limits`), a push
 * acknowledgement moves its cursor; anything else leaves it.
 */
export function observeAnswer(view: PeerLogView | undefined, response: unknown): PeerLogView | undefined {
  const r = response as { type?: unknown; yourCursor?: LogCursor | null; limits?: PageLimits; cursor?: LogCursor } | null;
  if (r === null || typeof r !== 'object') return view;
  if (r.type === 'pull-page' && r.limits !== undefined && r.yourCursor !== undefined) return { yourCursor: r.yourCursor, limits: r.limits };
  if (r.type === 'push-ack' && r.cursor !== undefined && view !== undefined) return { ...view, yourCursor: r.cursor };
  return view;
}

/**
 * The position for a push-only round; `undefined` while unknown (no page seen yet) or while the
 * peer resyncs from us. A stale one costs nothing: the peer refuses a page it cannot continue.
 */
export function peerLogPosition(view: PeerLogView | undefined): PeerLogPosition | undefined {
  if (view === undefined || view.yourCursor === null || view.yourCursor.resyncing) return undefined;
  return { yourCursor: view.yourCursor, limits: view.limits };
}

/**
 * The pull the engine sends after applying `response`, when the page says more follow: the same
 * request with the cursor the engine commits with the page (same epoch → max(old, through)).
 * `undefined` when no page follows.
 */
export function nextPull(message: PullRequest, response: unknown): PullRequest | undefined {
  const page = (response as { type?: unknown; page?: { hasMore?: unknown; through?: unknown; epoch?: unknown; mode?: unknown } } | null)?.page;
  if ((response as { type?: unknown } | null)?.type !== 'pull-page' || page?.hasMore !== true || typeof page.through !== 'number' || typeof page.epoch !== 'string') return undefined;
  const seq = message.cursor.epoch === page.epoch ? Math.max(message.cursor.seq, page.through) : page.through;
  return { ...message, cursor: { epoch: page.epoch, seq, resyncing: page.mode === 'full' } };
}
