import { SyncError, type ChangeFeedPage, type ChangeFeedPosition, type ItemChangedEvent, type SyncEngine } from '@trosyn/sync-core';
import { KEEP_ALIVE_COMMENT } from '../../event-stream.js';
import { itemJson } from './item-json.js';

/** Options of {@link createChangeFeedStream}. */
export interface ChangeFeedStreamOptions {
  readonly engine: SyncEngine;
  /** Where the feed starts: changes after this position are sent. */
  readonly after: ChangeFeedPosition;
  /** Only items of this type. */
  readonly type: string | undefined;
  /** Interval of `: keep-alive` comments while nothing changes. */
  readonly keepAliveMs: number;
  /** Ends the feed (server shutdown). */
  readonly stopSignal: AbortSignal;
  /** The feed ended: `stopped` (shutdown), `client-disconnected` or `error`. */
  readonly onEnd: (outcome: 'stopped' | 'client-disconnected' | 'error', error?: unknown) => void;
}

/** Entries per page read from the engine: one page is one chunk written to the socket. */
const PAGE_ENTRIES = 100;

const encoder = new TextEncoder();

/** The text form of a position, as sent in `id:` and accepted back in `since` / `Last-Event-ID`. */
export function formatPosition(position: ChangeFeedPosition): string {
  return `${position.epoch}:${position.seq}`;
}

/** Parses {@link formatPosition}'s text; `undefined` for anything else. */
export function parsePosition(text: string): ChangeFeedPosition | undefined {
  const colon = text.lastIndexOf(':');
  if (colon < 1) return undefined;
  const seq = text.slice(colon + 1);
  if (!/^\d{1,15}$/.test(seq)) return undefined;
  return { epoch: text.slice(0, colon), seq: Number(seq) };
}

function event(name: string, data: object, id?: string): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

function pageEvents(page: ChangeFeedPage): string {
  let text = '';
  if (page.reset) {
    text += event('reset', {
      object: 'changes.reset',
      message: 'The position given could not be continued (another database, a restored one, or deletions collected since): the changes that follow start from the beginning of the log; rebuild what you keep from them.',
    });
  }
  for (const entry of page.entries) {
    const position = formatPosition({ epoch: page.position.epoch, seq: entry.seq });
    text += event('change', { object: 'item.change', position, peer_id: entry.peerId, item: itemJson(entry.item) }, position);
  }
  return text;
}

/**
 * The page a log read would return for a feed at `position` when `change`, the latest change,
 * has the next sequence number and ends the log: then it is the only change to send. Built
 * from the engine's event instead of a read (the usual case of a live feed; a read is a cold
 * database query on the path from a peer's write to the reader). `undefined` otherwise: read
 * the log.
 */
function pageOfOnlyChange(change: ItemChangedEvent, position: ChangeFeedPosition, end: ChangeFeedPosition, type: string | undefined): ChangeFeedPage | undefined {
  if (end.epoch !== position.epoch || change.seq !== position.seq + 1 || end.seq !== change.seq) return undefined;
  const entries = type === undefined || change.item.type === type ? [{ seq: change.seq, item: change.item, peerId: change.peerId }] : [];
  return { entries, position: end, hasMore: false, reset: false };
}

/**
 * The node's change feed as server-sent events: a `ready` event with the starting position,
 * then a `change` event (with `id:` = its position) for every item that changes, local writes
 * and replicated ones alike, and `: keep-alive` comments while nothing does.
 *
 * Pull-based: a page is read from the engine only when the previous one was taken by the
 * socket, so a slow client holds back the feed instead of filling memory. The engine's
 * `item-changed` event wakes the feed, which then reads the change log from its position, so
 * nothing is lost or duplicated between a wake-up and the read. The one exception is the
 * common live case, one change right after the position: its event is what the read would
 * return (see {@link pageOfOnlyChange}).
 */
export function createChangeFeedStream(options: ChangeFeedStreamOptions): ReadableStream<Uint8Array> {
  const { engine, type, keepAliveMs, stopSignal } = options;
  let position = options.after;
  // Set by every change after the last read; tells a waiting feed to read again.
  let changed = true;
  // The latest change since the last read.
  let latestChange: ItemChangedEvent | undefined;
  let wake: (() => void) | undefined;
  let ended = false;
  let sentReady = false;

  const unsubscribe = engine.on('item-changed', (change) => {
    latestChange = change;
    changed = true;
    wake?.();
  });
  const end = (outcome: 'stopped' | 'client-disconnected' | 'error', error?: unknown): void => {
    if (ended) return;
    ended = true;
    unsubscribe();
    stopSignal.removeEventListener('abort', onStop);
    wake?.();
    options.onEnd(outcome, error);
  };
  let controllerRef: ReadableStreamDefaultController<Uint8Array> | undefined;
  const onStop = (): void => {
    if (ended) return;
    end('stopped');
    controllerRef?.close();
  };

  /** Resolves on the next change, after `keepAliveMs`, or when the feed ends; true on a change. */
  const waitForChange = (): Promise<boolean> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => settle(false), keepAliveMs);
      const settle = (value: boolean): void => {
        clearTimeout(timer);
        wake = undefined;
        resolve(value);
      };
      wake = () => settle(true);
    });

  return new ReadableStream<Uint8Array>({
    start(controller) {
      controllerRef = controller;
      if (stopSignal.aborted) onStop();
      else stopSignal.addEventListener('abort', onStop, { once: true });
    },
    async pull(controller) {
      if (!sentReady) {
        sentReady = true;
        const start = formatPosition(position);
        controller.enqueue(encoder.encode(event('ready', { object: 'changes.ready', position: start }, start)));
        return;
      }
      while (!ended) {
        if (changed) {
          changed = false;
          const only = latestChange === undefined ? undefined : pageOfOnlyChange(latestChange, position, engine.changeFeedEnd, type);
          latestChange = undefined;
          let page: ChangeFeedPage;
          try {
            page = only ?? (await engine.changeFeed({ after: position, limit: PAGE_ENTRIES, ...(type === undefined ? {} : { type }) }));
          } catch (error) {
            if (ended) return;
            // The engine closes after the HTTP server stops taking requests: a shutdown, not a failure.
            if (error instanceof SyncError && error.code === 'disposed') {
              end('stopped');
            } else {
              controller.enqueue(encoder.encode(event('error', { error: { message: 'The change feed failed; reconnect to continue from the last event.', type: 'server_error', code: null } })));
              end('error', error);
            }
            controller.close();
            return;
          }
          if (ended) return;
          position = page.position;
          if (page.hasMore) changed = true;
          const text = pageEvents(page);
          if (text !== '') {
            controller.enqueue(encoder.encode(text));
            return;
          }
          // A type filter over a long stretch of other changes: let other requests run between
          // ranges instead of reading them all in one turn.
          if (page.hasMore) await new Promise((resolve) => setImmediate(resolve));
          continue;
        }
        if (!(await waitForChange()) && !ended && !changed) {
          controller.enqueue(KEEP_ALIVE_COMMENT);
          return;
        }
      }
    },
    cancel() {
      end('client-disconnected');
    },
  });
}
