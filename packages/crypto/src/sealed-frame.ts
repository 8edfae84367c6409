import { AES_256_GCM_TAG_BYTES } from './aes-256-gcm.js';
import { encodeBase64Url } from './base64url.js';
import { CryptoError } from './errors.js';
import { PROTOCOL_VERSION, SESSION_ID_BYTES } from './handshake-messages.js';
import type { ParsedEnvelope } from './parsed-envelope.js';

/**
 * The binary form of a sealed message, for transports that carry bytes (HTTP bodies, sockets).
 * Same fields and the same authenticated header as the JSON {@link Envelope}, without its
 * base64url: a third fewer bytes on the wire, and no encode/decode pass over a large ciphertext.
 *
 * ```text
 * magic "TS" (2) · version (1) · session id (16) · sequence (8, BE) · timestamp ms (8, BE)
 *   · associated-data length (2, BE) · tag length (1, always 16) · associated data · tag · ciphertext
 * ```
 */
export const SEALED_FRAME_MAGIC = 0x54_53;

const SEQUENCE_OFFSET = 3 + SESSION_ID_BYTES;
const TIMESTAMP_OFFSET = SEQUENCE_OFFSET + 8;
const AD_LENGTH_OFFSET = TIMESTAMP_OFFSET + 8;
const TAG_LENGTH_OFFSET = AD_LENGTH_OFFSET + 2;
/** Bytes before the associated data. */
export const SEALED_FRAME_HEADER_BYTES = TAG_LENGTH_OFFSET + 1;
/** Longest associated data a frame can carry. */
export const SEALED_FRAME_MAX_AD_BYTES = 0xffff;
const TWO_32 = 0x1_0000_0000;

/** The parts of one sealed message, as the session produced them. */
export interface SealedParts {
  readonly sessionId: Uint8Array;
  readonly sequence: number;
  readonly timestamp: number;
  readonly associatedData: Uint8Array | undefined;
  readonly ciphertext: Uint8Array;
  readonly tag: Uint8Array;
}

/** Lays sealed parts out as one frame (one copy of the ciphertext). The caller checked the AD length. */
export function encodeSealedFrame(parts: SealedParts): Buffer {
  const head = encodeSealedFrameHead(parts, parts.ciphertext.length);
  head.set(parts.ciphertext, head.length - parts.ciphertext.length);
  return head;
}

/**
 * The frame without its ciphertext (header, associated data, tag): sent before the ciphertext,
 * it makes the same frame without copying the ciphertext. `room` extra bytes are left at the end.
 */
export function encodeSealedFrameHead(parts: SealedParts, room = 0): Buffer {
  const adLength = parts.associatedData?.length ?? 0;
  const head = SEALED_FRAME_HEADER_BYTES + adLength + parts.tag.length;
  const frame = Buffer.allocUnsafe(head + room);
  frame.writeUInt16BE(SEALED_FRAME_MAGIC, 0);
  frame.writeUInt8(PROTOCOL_VERSION, 2);
  frame.set(parts.sessionId, 3);
  writeU64(frame, parts.sequence, SEQUENCE_OFFSET);
  writeU64(frame, parts.timestamp, TIMESTAMP_OFFSET);
  frame.writeUInt16BE(adLength, AD_LENGTH_OFFSET);
  frame.writeUInt8(parts.tag.length, TAG_LENGTH_OFFSET);
  if (parts.associatedData !== undefined) frame.set(parts.associatedData, SEALED_FRAME_HEADER_BYTES);
  frame.set(parts.tag, SEALED_FRAME_HEADER_BYTES + adLength);
  return frame;
}

/**
 * Validates an untrusted frame. The returned buffers are views into `bytes` (no copy).
 * @throws {@link CryptoError} `malformed` or `unsupported-version`; never anything else.
 */
export function parseSealedFrame(bytes: Uint8Array): ParsedEnvelope {
  if (!(bytes instanceof Uint8Array)) throw malformed('A sealed frame must be a Uint8Array.');
  const frame = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (frame.length < SEALED_FRAME_HEADER_BYTES) throw malformed(`A sealed frame of ${frame.length} bytes is shorter than its header.`);
  const body = sealedFrameHeadBytes(frame);
  const adLength = frame.readUInt16BE(AD_LENGTH_OFFSET);
  if (frame.length < body) throw malformed('The sealed frame is truncated inside its associated data or tag.');
  const sessionId = frame.subarray(3, 3 + SESSION_ID_BYTES);
  return {
    sessionId,
    sessionIdText: encodeBase64Url(sessionId),
    sequence: readU64(frame, SEQUENCE_OFFSET, 'sequence'),
    timestamp: readU64(frame, TIMESTAMP_OFFSET, 'timestamp'),
    associatedData: adLength === 0 ? undefined : frame.subarray(SEALED_FRAME_HEADER_BYTES, SEALED_FRAME_HEADER_BYTES + adLength),
    tag: frame.subarray(SEALED_FRAME_HEADER_BYTES + adLength, body),
    ciphertext: frame.subarray(body),
  };
}

/**
 * How many bytes of a frame come before its ciphertext (header, associated data, tag), from its
 * first {@link SEALED_FRAME_HEADER_BYTES} bytes, which are checked (magic, version, tag length).
 * @throws {@link CryptoError} `malformed` or `unsupported-version`.
 */
export function sealedFrameHeadBytes(header: Buffer): number {
  if (header.readUInt16BE(0) !== SEALED_FRAME_MAGIC) throw malformed('Not a sealed frame (bad magic).');
  const version = header.readUInt8(2);
  if (version !== PROTOCOL_VERSION) {
    throw new CryptoError('unsupported-version', `Sealed frame version ${version} is not supported (this node speaks ${PROTOCOL_VERSION}).`, { details: { version } });
  }
  const tagLength = header.readUInt8(TAG_LENGTH_OFFSET);
  if (tagLength !== AES_256_GCM_TAG_BYTES) throw malformed(`A sealed frame's tag is ${AES_256_GCM_TAG_BYTES} bytes, this one says ${tagLength}.`);
  return SEALED_FRAME_HEADER_BYTES + header.readUInt16BE(AD_LENGTH_OFFSET) + tagLength;
}

/**
 * The session id a frame names (unpadded base64url), after checking that the bytes are a frame
 * of this version (cheap: the header only, no copy).
 * @throws {@link CryptoError} `malformed` or `unsupported-version`.
 */
export function sealedFrameSessionId(bytes: Uint8Array): string {
  return parseSealedFrame(bytes).sessionIdText;
}

function writeU64(buffer: Buffer, value: number, offset: number): void {
  buffer.writeUInt32BE(Math.floor(value / TWO_32), offset);
  buffer.writeUInt32BE(value >>> 0, offset + 4);
}

function readU64(buffer: Buffer, offset: number, field: string): number {
  const value = buffer.readUInt32BE(offset) * TWO_32 + buffer.readUInt32BE(offset + 4);
  if (!Number.isSafeInteger(value)) throw malformed(`The sealed frame's ${field} exceeds 2^53 - 1.`);
  return value;
}

function malformed(message: string): CryptoError {
  return new CryptoError('malformed', message);
}
