/**
 * The model-sharing messages of the peer channel. They travel as the plaintext of sealed
 * requests on the sync port, exactly like sync-core's messages (same session, same sealing,
 * same replay protection; see `src/sync/sync-server.ts`), told apart by their `type`.
 */

/** Which file the asker needs: the file name of its `LLM_MODEL_PATH` (never a path). */
export interface ModelOfferRequest {
  readonly type: 'model-offer';
  readonly file: string;
}

/** What a peer can give: the file's size, sha256 and the sha256 of every chunk. */
export type ModelOfferResponse =
  | {
      readonly type: 'model-offer';
      readonly available: true;
      readonly file: string;
      /** The giver's `LAN_SYNC_NODE_NAME`, for progress lines. */
      readonly nodeName: string;
      readonly size: number;
      readonly sha256: string;
      readonly chunkBytes: number;
      readonly chunkSha256: readonly string[];
    }
  | { readonly type: 'model-offer'; readonly available: false; readonly file: string; readonly reason: string };

/** One chunk of the offered file, by index; `sha256` pins the version the asker has started. */
export interface ModelChunkRequest {
  readonly type: 'model-chunk';
  readonly file: string;
  readonly sha256: string;
  readonly index: number;
}

/**
 * A chunk travels as binary plaintext of the sealed answer, not JSON: {@link CHUNK_MARKER}, the
 * chunk's index (uint32, big-endian), then its bytes. A refusal is JSON ({@link ModelShareError}),
 * which starts with `{`.
 */
export const CHUNK_MARKER = 0x01;
/** Bytes of a chunk answer before the chunk's own bytes (marker and index). */
export const CHUNK_HEADER_BYTES = 5;

/**
 * A frame for chunk `index` of `length` bytes, header written, and the view of it the chunk's
 * bytes are to be read into (so they are never copied into a frame afterwards). The frame is the
 * start of `buffer` when given (a reused one, at least as long), else of a new buffer.
 */
export function chunkFrame(index: number, length: number, buffer?: Buffer): { readonly frame: Buffer; readonly data: Buffer } {
  const frame = buffer === undefined ? Buffer.allocUnsafe(CHUNK_HEADER_BYTES + length) : buffer.subarray(0, CHUNK_HEADER_BYTES + length);
  frame[0] = CHUNK_MARKER;
  frame.writeUInt32BE(index, 1);
  return { frame, data: frame.subarray(CHUNK_HEADER_BYTES) };
}

/** A chunk as it was opened: its index and its bytes as views of the answer's pieces (no copy). */
export interface ChunkPieces {
  readonly index: number;
  readonly data: readonly Buffer[];
  /** Total bytes of `data`. */
  readonly bytes: number;
}

/**
 * A chunk answer, opened as pieces (`HttpSyncTransport.requestPieces`), as its index and bytes
 * (views, no copy), or the peer's JSON refusal. The header may be split across pieces.
 */
export function decodeChunkPieces(answer: readonly Buffer[]): ChunkPieces | ModelShareError {
  const total = answer.reduce((sum, piece) => sum + piece.length, 0);
  const first = answer[0];
  const header = first !== undefined && first.length >= CHUNK_HEADER_BYTES ? first : Buffer.concat(answer, Math.min(total, CHUNK_HEADER_BYTES));
  if (total >= CHUNK_HEADER_BYTES && header[0] === CHUNK_MARKER) {
    const data: Buffer[] = [];
    let skip = CHUNK_HEADER_BYTES;
    for (const piece of answer) {
      if (skip >= piece.length) {
        skip -= piece.length;
        continue;
      }
      data.push(skip === 0 ? piece : piece.subarray(skip));
      skip = 0;
    }
    return { index: header.readUInt32BE(1), data, bytes: total - CHUNK_HEADER_BYTES };
  }
  try {
    return JSON.parse(Buffer.concat(answer, total).toString('utf8')) as ModelShareError;
  } catch {
    return { type: 'error', protocol: 0, code: 'invalid-message', message: 'the answer is neither a chunk nor JSON' };
  }
}

/** A refusal, in sync-core's error shape so the sync server logs and seals it like one. */
export interface ModelShareError {
  readonly type: 'error';
  readonly protocol: number;
  readonly code: 'model-unavailable' | 'invalid-message';
  readonly message: string;
}

/** Size of one chunk: large enough to keep the channel busy, small enough to bound memory. */
export const MODEL_CHUNK_BYTES = 4 * 1024 * 1024;

/** Whether a request on the peer channel is a model-sharing one (else it is sync-core's). */
export function isModelShareRequest(request: unknown): request is ModelOfferRequest | ModelChunkRequest {
  const type = (request as { type?: unknown } | null)?.type;
  return type === 'model-offer' || type === 'model-chunk';
}
