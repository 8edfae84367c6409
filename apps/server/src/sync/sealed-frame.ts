import { PROTOCOL_VERSION, type Envelope } from '@trosyn/crypto';
import { LanSyncError } from './errors.js';

/** Media type of a sealed frame on the sync port. */
export const SEALED_FRAME_MEDIA_TYPE = 'application/x-trosyn-sealed';

const MAGIC = 0x54_53; // "TS"
const SESSION_ID_BYTES = 16;
// magic (2) · version (1) · session id (16) · sequence (8) · timestamp (8) · AD length (2) · tag length (1)
const HEADER_BYTES = 2 + 1 + SESSION_ID_BYTES + 8 + 8 + 2 + 1;
const TAG_LENGTH_OFFSET = HEADER_BYTES - 1;
const TWO_32 = 0x1_0000_0000;

function writeU64(buffer: Buffer, value: number, offset: number): void {
  buffer.writeUInt32BE(Math.floor(value / TWO_32), offset);
  buffer.writeUInt32BE(value >>> 0, offset + 4);
}

function readU64(buffer: Buffer, offset: number): number {
  const value = buffer.readUInt32BE(offset) * TWO_32 + buffer.readUInt32BE(offset + 4);
  if (!Number.isSafeInteger(value)) throw new LanSyncError('malformed-frame', 'sealed frame: a 64-bit field exceeds 2^53');
  return value;
}

/**
 * Encodes a `@trosyn/crypto` envelope as a compact binary frame: the JSON envelope carries
 * its binary fields as base64url (a third larger), which would cost a third more bytes on the
 * wire for every page. The frame holds the same fields as raw bytes; {@link decodeSealedFrame}
 * rebuilds the envelope, which `Session.open` then validates as usual.
 */
export function encodeSealedFrame(envelope: Envelope): Buffer {
  const sessionId = Buffer.from(envelope.sessionId, 'base64url');
  const ad = envelope.associatedData === undefined ? Buffer.alloc(0) : Buffer.from(envelope.associatedData, 'base64url');
  // The GCM tag travels as its own field (or, in older envelopes, at the end of the ciphertext).
  const tagText = (envelope as { readonly tag?: unknown }).tag;
  const tag = typeof tagText === 'string' ? Buffer.from(tagText, 'base64url') : Buffer.alloc(0);
  if (sessionId.length !== SESSION_ID_BYTES || ad.length > 0xffff || tag.length > 0xff) throw new LanSyncError('malformed-frame', 'envelope cannot be framed');
  // Decoded straight into the frame: a page is megabytes, an intermediate buffer would be copied again.
  const ciphertextBytes = Buffer.byteLength(envelope.ciphertext, 'base64url');
  const frame = Buffer.allocUnsafe(HEADER_BYTES + ad.length + tag.length + ciphertextBytes);
  frame.writeUInt16BE(MAGIC, 0);
  frame.writeUInt8(envelope.version, 2);
  sessionId.copy(frame, 3);
  writeU64(frame, envelope.sequence, 3 + SESSION_ID_BYTES);
  writeU64(frame, envelope.timestamp, 11 + SESSION_ID_BYTES);
  frame.writeUInt16BE(ad.length, 19 + SESSION_ID_BYTES);
  frame.writeUInt8(tag.length, TAG_LENGTH_OFFSET);
  ad.copy(frame, HEADER_BYTES);
  tag.copy(frame, HEADER_BYTES + ad.length);
  const written = frame.write(envelope.ciphertext, HEADER_BYTES + ad.length + tag.length, 'base64url');
  if (written !== ciphertextBytes) throw new LanSyncError('malformed-frame', 'envelope ciphertext is not base64url');
  return frame;
}

/**
 * Decodes an untrusted frame into an envelope object for `Session.open` / `SessionStore.open`.
 * @throws {LanSyncError} `malformed-frame` when the bytes are not a frame.
 */
export function decodeSealedFrame(bytes: Uint8Array): Envelope {
  const frame = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (frame.length < HEADER_BYTES) throw new LanSyncError('malformed-frame', `sealed frame: ${frame.length} bytes is shorter than a header`);
  if (frame.readUInt16BE(0) !== MAGIC) throw new LanSyncError('malformed-frame', 'sealed frame: bad magic');
  const version = frame.readUInt8(2);
  if (version !== PROTOCOL_VERSION) throw new LanSyncError('malformed-frame', `sealed frame: unsupported version ${version}`);
  const adLength = frame.readUInt16BE(19 + SESSION_ID_BYTES);
  const tagLength = frame.readUInt8(TAG_LENGTH_OFFSET);
  if (frame.length < HEADER_BYTES + adLength + tagLength) throw new LanSyncError('malformed-frame', 'sealed frame: truncated header fields');
  const ad = frame.subarray(HEADER_BYTES, HEADER_BYTES + adLength);
  const body = HEADER_BYTES + adLength + tagLength;
  return {
    type: 'trosyn-envelope',
    version: PROTOCOL_VERSION,
    sessionId: frame.toString('base64url', 3, 3 + SESSION_ID_BYTES),
    sequence: readU64(frame, 3 + SESSION_ID_BYTES),
    timestamp: readU64(frame, 11 + SESSION_ID_BYTES),
    ...(adLength === 0 ? {} : { associatedData: ad.toString('base64url') }),
    ...(tagLength === 0 ? {} : { tag: frame.toString('base64url', HEADER_BYTES + adLength, body) }),
    ciphertext: frame.toString('base64url', body),
  } as Envelope;
}
