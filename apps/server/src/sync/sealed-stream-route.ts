import { CryptoError, type SessionStore, type StreamHold } from '@trosyn/crypto';
import type { Context } from 'hono';
import type { Logger } from '../logger.js';
import type { Refused } from './sealed-answer.js';
import { POOL_REQUEST_ASSOCIATED_DATA, SEALED_STREAM_MEDIA_TYPE, streamFrameAssociatedData } from './sync-paths.js';

/**
 * Answers a sealed request with a stream of messages (pooled generation, `src/pool/`): each
 * yielded object is sealed as one frame. `signal` fires when the requester goes away (it closed
 * the connection: its client aborted), so the work it asked for stops at once.
 */
export interface StreamRequestHandler {
  answer(request: unknown, peerId: string, signal: AbortSignal): AsyncIterable<object>;
}

/** What the streamed route is built from (the sync server's own pieces). */
export interface SealedStreamRouteDependencies {
  readonly sessions: SessionStore;
  readonly handler: StreamRequestHandler;
  readonly logger: Logger;
  /** The sync server's refusal bookkeeping (failed authentications counted per address). */
  readonly refused: (address: string, error: unknown) => Refused;
}

/** Length prefix of each sealed frame of a streamed answer. */
export const STREAM_LENGTH_BYTES = 4;

/**
 * The sync port's streamed answer: the body is a sealed frame like `POST /sync/v1/messages`'
 * (same sessions, replay protection and refusals), bound to this route; the answer is a chunked
 * body of sealed frames, each written as soon as it is yielded (token by token) and bound to
 * the request and its position. Nothing travels in clear but the frames' lengths.
 */
export function createSealedStreamRoute(deps: SealedStreamRouteDependencies): (c: Context, address: string) => Promise<Response> {
  const errorResponse = (c: Context, refused: Refused): Response =>
    c.json({ error: { message: refused.message, type: 'sync_error', param: null, code: refused.code } }, refused.status);

  return async (c, address) => {
    let opened;
    try {
      opened = deps.sessions.openFrame(new Uint8Array(await c.req.arrayBuffer()));
    } catch (error) {
      return errorResponse(c, deps.refused(address, error));
    }
    const { session, message } = opened;
    if (message.associatedData?.toString('utf8') !== POOL_REQUEST_ASSOCIATED_DATA) {
      return errorResponse(c, deps.refused(address, new CryptoError('tampered', 'sealed request is bound to another purpose')));
    }
    let request: unknown;
    try {
      request = JSON.parse(message.plaintext.toString('utf8'));
    } catch {
      request = { invalid: 'sealed request is not JSON' };
    }
    // The answer may outlive the session (a long generation that started late in its life): its
    // frames are sealed through a hold, good for one session lifetime from now (`holdForStream`);
    // the session takes no new request once expired. Released when the answer ends, however it ends.
    let hold: StreamHold;
    try {
      hold = session.holdForStream(Number.POSITIVE_INFINITY);
    } catch (error) {
      return errorResponse(c, deps.refused(address, error));
    }
    const abort = new AbortController();
    const signal = AbortSignal.any([abort.signal, c.req.raw.signal]);
    const items = deps.handler.answer(request, session.peerNodeId, signal)[Symbol.asyncIterator]();
    let index = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const next = await items.next();
          if (next.done) {
            hold.release();
            controller.close();
            return;
          }
          const frame = hold.sealFrame(JSON.stringify(next.value), streamFrameAssociatedData(message.sequence, index));
          index += 1;
          const length = Buffer.allocUnsafe(STREAM_LENGTH_BYTES);
          length.writeUInt32BE(frame.length, 0);
          controller.enqueue(Buffer.concat([length, frame]));
        } catch (error) {
          // The hold ran out (a stream longer than a session lifetime), or the node stops: the requester sees a cut stream.
          hold.release();
          deps.logger.log('warn', 'streamed peer answer cut', { event: 'peer-stream-cut', peer_id: session.peerNodeId, error: error instanceof Error ? error.message : String(error) });
          abort.abort(error);
          controller.error(error);
        }
      },
      async cancel(reason) {
        // The requester closed the connection: stop the work now (its slot is freed).
        hold.release();
        abort.abort(reason);
        await items.return?.(undefined);
      },
    });
    return new Response(body, { status: 200, headers: { 'content-type': SEALED_STREAM_MEDIA_TYPE, 'cache-control': 'no-store' } });
  };
}
