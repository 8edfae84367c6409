/** Routes of the sync port (`LAN_SYNC_PORT`). Version 1 of the app's sync HTTP binding. */
export const SYNC_PATHS = Object.freeze({
  /** `GET`: unauthenticated facts about the node (id, name, protocol versions). Nothing secret. */
  info: '/sync/v1/info',
  /** `POST` JSON: handshake message 1 (hello) → message 2 (challenge). */
  hello: '/sync/v1/handshake/hello',
  /** `POST` JSON: handshake message 3 (proof) → message 4 (confirm). */
  proof: '/sync/v1/handshake/proof',
  /** `POST` sealed frame: a sync-core request → a sealed sync-core response. */
  messages: '/sync/v1/messages',
  /**
   * `POST` sealed frame: a pooled generation request (`src/pool/`) → a streamed answer, a chunked
   * body of sealed frames, each prefixed with its length (uint32, big-endian).
   */
  poolGenerate: '/sync/v1/pool/generate',
});

/** Media type of a body that is a sequence of length-prefixed sealed frames (a streamed answer). */
export const SEALED_STREAM_MEDIA_TYPE = 'application/x-trosyn-sealed-stream';

/** Associated data of a pooled generation request: binds it to its route. */
export const POOL_REQUEST_ASSOCIATED_DATA = 'POST /sync/v1/pool/generate';

/**
 * Associated data of frame `index` of the streamed answer to the request with sequence
 * `sequence`: frames cannot be swapped, dropped from the middle, or moved to another answer.
 */
export function streamFrameAssociatedData(sequence: number, index: number): string {
  return `stream ${sequence} ${index}`;
}

/** Media type of a body that is a `@trosyn/crypto` sealed frame (`Session.sealFrame`). */
export const SEALED_FRAME_MEDIA_TYPE = 'application/x-trosyn-sealed';

/** Associated data of every sealed request: binds it to the messages route. */
export const REQUEST_ASSOCIATED_DATA = 'POST /sync/v1/messages';

/**
 * Associated data of the response to the request with sequence `sequence`: a response cannot
 * be swapped with another one of the same session.
 */
export function responseAssociatedData(sequence: number): string {
  return `response ${sequence}`;
}

/** Request header with the initiator's own sync port, so the responder can sync back. */
export const SYNC_PORT_HEADER = 'x-trosyn-sync-port';

/** Response header with the answering node's clock (ms since the epoch), to measure clock offsets. */
export const SYNC_CLOCK_HEADER = 'x-trosyn-clock-ms';
