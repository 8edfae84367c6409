import type { ChangeFeedPosition } from '@trosyn/sync-core';
import { Hono } from 'hono';
import { ApiError } from '../../errors.js';
import { EVENT_STREAM_HEADERS, writeEventsPromptly } from '../../event-stream.js';
import type { Logger } from '../../logger.js';
import type { AppEnv } from '../../request-scope.js';
import { createChangeFeedStream, parsePosition } from './change-feed-stream.js';
import type { DataApiDependencies } from './data-api-dependencies.js';
import { engineCall } from './engine-call.js';

/** Options of {@link changesRoute}. */
export interface ChangesRouteOptions {
  /** Interval of `: keep-alive` comments on an idle feed. Default 15 s. */
  readonly keepAliveMs?: number;
  /** Ends every open feed (the server starts shutting down). */
  readonly stopSignal: AbortSignal;
  readonly logger: Logger;
}

const DEFAULT_KEEP_ALIVE_MS = 15_000;

/**
 * `GET /api/v1/changes`: the node's change feed as server-sent events. Without `since` it
 * follows changes from now on; `since=0` replays every item first; `since=<position>` (or the
 * `Last-Event-ID` header an `EventSource` sends when it reconnects) continues after an event
 * already seen. `type` filters by item type.
 */
export function changesRoute(deps: DataApiDependencies, options: ChangesRouteOptions): Hono<AppEnv> {
  const { engine } = deps;
  return new Hono<AppEnv>().get('/api/v1/changes', async (c) => {
    const type = c.req.query('type');
    // A reconnecting EventSource repeats the URL's `since` and adds the last id it saw: the id wins.
    const lastEventId = c.req.header('last-event-id');
    const param = lastEventId !== undefined && lastEventId !== '' ? 'Last-Event-ID' : 'since';
    const since = param === 'since' ? c.req.query('since') : lastEventId;
    let after: ChangeFeedPosition | undefined;
    if (since === undefined || since === '' || since === 'now') {
      after = engine.changeFeedEnd;
    } else if (since === '0') {
      after = { epoch: engine.epoch, seq: 0 };
    } else {
      after = parsePosition(since);
      if (after === undefined) {
        throw new ApiError('invalid-request', `Invalid value for '${param}': expected 'now', '0' or a position '<epoch>:<seq>' from an earlier event's id, got ${JSON.stringify(since)}.`, { param });
      }
    }
    const filter = type === undefined || type === '' ? undefined : type;
    // Reads the first page now: a bad type or a closed store is an error status, not a broken stream.
    await engineCall(() => engine.changeFeed({ limit: 1, after, ...(filter === undefined ? {} : { type: filter }) }), 'type');

    const endScope = c.get('scope').deferEnd();
    const body = createChangeFeedStream({
      engine,
      after,
      type: filter,
      keepAliveMs: options.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS,
      stopSignal: options.stopSignal,
      onEnd: (outcome, error) => {
        if (outcome === 'error') options.logger.log('error', 'change feed failed', { error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
        endScope(outcome);
      },
    });
    writeEventsPromptly(c.env?.outgoing);
    return new Response(body, { status: 200, headers: EVENT_STREAM_HEADERS });
  });
}
