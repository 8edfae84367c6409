import { decodeBase64Url } from './base64url.js';
import { CryptoError } from './errors.js';

/** The handshake and envelope protocol version this package speaks. */
export const PROTOCOL_VERSION = 1;

/** Bytes of an X25519 public key (libsodium `crypto_kx_PUBLICKEYBYTES`). */
export const EPHEMERAL_KEY_BYTES = 32;
/** Bytes of a handshake nonce. */
export const NONCE_BYTES = 32;
/** Bytes of a handshake id. */
export const HANDSHAKE_ID_BYTES = 16;
/** Bytes of a session id. */
export const SESSION_ID_BYTES = 16;
/** Bytes of a handshake proof (an HMAC-SHA256 tag). */
export const PROOF_BYTES = 32;
/** Longest node id accepted, in UTF-16 code units. */
export const MAX_NODE_ID_LENGTH = 128;

/**
 * Message 1, initiator → responder. All binary fields are unpadded base64url.
 *
 * ```json
 * { "type": "trosyn-hello", "version": 1, "nodeId": "node-a",
 *   "ephemeralKey": "<32 bytes>", "nonce": "<32 bytes>", "timestamp": 1767225600000 }
 * ```
 */
export interface HelloMessage {
  readonly type: 'trosyn-hello';
  readonly version: typeof PROTOCOL_VERSION;
  /** The initiator's node id (1–128 characters, no control characters). */
  readonly nodeId: string;
  /** The initiator's ephemeral X25519 public key. */
  readonly ephemeralKey: string;
  /** 32 random bytes. */
  readonly nonce: string;
  /** The initiator's clock, milliseconds since the Unix epoch. */
  readonly timestamp: number;
}

/**
 * Message 2, responder → initiator. `echo` repeats the hello's nonce so the initiator can tell a
 * challenge meant for its hello from a replayed one.
 *
 * ```json
 * { "type": "trosyn-challenge", "version": 1, "handshakeId": "<16 bytes>", "nodeId": "node-b",
 *   "ephemeralKey": "<32 bytes>", "nonce": "<32 bytes>", "timestamp": 1767225600004,
 *   "echo": "<the hello's nonce>" }
 * ```
 */
export interface ChallengeMessage {
  readonly type: 'trosyn-challenge';
  readonly version: typeof PROTOCOL_VERSION;
  /** Chosen by the responder; names the pending handshake in message 3. */
  readonly handshakeId: string;
  /** The responder's node id. */
  readonly nodeId: string;
  /** The responder's ephemeral X25519 public key. */
  readonly ephemeralKey: string;
  /** 32 random bytes. */
  readonly nonce: string;
  /** The responder's clock, milliseconds since the Unix epoch. */
  readonly timestamp: number;
  /** The hello's nonce, repeated. */
  readonly echo: string;
}

/**
 * Message 3, initiator → responder: the initiator's HMAC-SHA256 over the transcript.
 *
 * ```json
 * { "type": "trosyn-proof", "version": 1, "handshakeId": "<16 bytes>", "proof": "<32 bytes>" }
 * ```
 */
export interface ProofMessage {
  readonly type: 'trosyn-proof';
  readonly version: typeof PROTOCOL_VERSION;
  readonly handshakeId: string;
  readonly proof: string;
}

/**
 * Message 4, responder → initiator: the responder's HMAC-SHA256 over the transcript, the session
 * id and the session's expiry.
 *
 * ```json
 * { "type": "trosyn-confirm", "version": 1, "handshakeId": "<16 bytes>",
 *   "sessionId": "<16 bytes>", "expiresAt": 1767226200004, "proof": "<32 bytes>" }
 * ```
 */
export interface ConfirmMessage {
  readonly type: 'trosyn-confirm';
  readonly version: typeof PROTOCOL_VERSION;
  readonly handshakeId: string;
  readonly sessionId: string;
  /** When the responder forgets the session, milliseconds since the Unix epoch. */
  readonly expiresAt: number;
  readonly proof: string;
}

/** Any handshake message. */
export type HandshakeMessage = HelloMessage | ChallengeMessage | ProofMessage | ConfirmMessage;

/** A validated hello with its binary fields decoded. */
export interface ParsedHello {
  readonly nodeId: string;
  readonly ephemeralKey: Buffer;
  readonly nonce: Buffer;
  readonly timestamp: number;
}

/** A validated challenge with its binary fields decoded. */
export interface ParsedChallenge extends ParsedHello {
  readonly handshakeId: Buffer;
  readonly echo: Buffer;
}

/** A validated proof with its binary fields decoded. */
export interface ParsedProof {
  readonly handshakeId: Buffer;
  readonly proof: Buffer;
}

/** A validated confirm with its binary fields decoded. */
export interface ParsedConfirm {
  readonly handshakeId: Buffer;
  readonly sessionId: Buffer;
  readonly expiresAt: number;
  readonly proof: Buffer;
}

/**
 * Validates an untrusted hello (for example a parsed POST body).
 * @throws {@link CryptoError} `malformed` or `unsupported-version`; never anything else.
 */
export function parseHelloMessage(input: unknown): ParsedHello {
  const record = messageRecord(input, 'trosyn-hello');
  return {
    nodeId: nodeIdField(record, 'nodeId'),
    ephemeralKey: decodeBase64Url(record['ephemeralKey'], 'ephemeralKey', EPHEMERAL_KEY_BYTES),
    nonce: decodeBase64Url(record['nonce'], 'nonce', NONCE_BYTES),
    timestamp: timestampField(record, 'timestamp'),
  };
}

/**
 * Validates an untrusted challenge.
 * @throws {@link CryptoError} `malformed` or `unsupported-version`; never anything else.
 */
export function parseChallengeMessage(input: unknown): ParsedChallenge {
  const record = messageRecord(input, 'trosyn-challenge');
  return {
    handshakeId: decodeBase64Url(record['handshakeId'], 'handshakeId', HANDSHAKE_ID_BYTES),
    nodeId: nodeIdField(record, 'nodeId'),
    ephemeralKey: decodeBase64Url(record['ephemeralKey'], 'ephemeralKey', EPHEMERAL_KEY_BYTES),
    nonce: decodeBase64Url(record['nonce'], 'nonce', NONCE_BYTES),
    timestamp: timestampField(record, 'timestamp'),
    echo: decodeBase64Url(record['echo'], 'echo', NONCE_BYTES),
  };
}

/**
 * Validates an untrusted proof.
 * @throws {@link CryptoError} `malformed` or `unsupported-version`; never anything else.
 */
export function parseProofMessage(input: unknown): ParsedProof {
  const record = messageRecord(input, 'trosyn-proof');
  return {
    handshakeId: decodeBase64Url(record['handshakeId'], 'handshakeId', HANDSHAKE_ID_BYTES),
    proof: decodeBase64Url(record['proof'], 'proof', PROOF_BYTES),
  };
}

/**
 * Validates an untrusted confirm.
 * @throws {@link CryptoError} `malformed` or `unsupported-version`; never anything else.
 */
export function parseConfirmMessage(input: unknown): ParsedConfirm {
  const record = messageRecord(input, 'trosyn-confirm');
  return {
    handshakeId: decodeBase64Url(record['handshakeId'], 'handshakeId', HANDSHAKE_ID_BYTES),
    sessionId: decodeBase64Url(record['sessionId'], 'sessionId', SESSION_ID_BYTES),
    expiresAt: timestampField(record, 'expiresAt'),
    proof: decodeBase64Url(record['proof'], 'proof', PROOF_BYTES),
  };
}

/**
 * Checks a node id: 1–128 characters, none of them a control character (they would corrupt logs).
 * @throws {@link CryptoError} with the given code.
 */
export function checkNodeId(value: unknown, field: string, code: 'malformed' | 'invalid-config' | 'invalid-argument' = 'malformed'): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_NODE_ID_LENGTH) {
    throw new CryptoError(code, `Field "${field}" must be a node id of 1 to ${MAX_NODE_ID_LENGTH} characters.`, { details: { field } });
  }
  for (let i = 0; i < value.length; i += 1) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c < 0xa0)) {
      throw new CryptoError(code, `Field "${field}" contains a control character.`, { details: { field } });
    }
  }
  return value;
}

/**
 * The fields of an untrusted object after checking its version, then its type. Version first: a
 * future version may change every other field, and deserves `unsupported-version`, not `malformed`.
 */
export function messageRecord(input: unknown, type: string): Readonly<Record<string, unknown>> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new CryptoError('malformed', `Expected a ${type} message object.`);
  }
  const record = input as Readonly<Record<string, unknown>>;
  const version = record['version'];
  if (version !== PROTOCOL_VERSION) {
    if (typeof version === 'number' && Number.isSafeInteger(version)) {
      throw new CryptoError('unsupported-version', `Protocol version ${version} is not supported; this node speaks version ${PROTOCOL_VERSION}. Upgrade the older node.`, {
        details: { version, supported: PROTOCOL_VERSION },
      });
    }
    throw new CryptoError('malformed', 'Field "version" must be an integer.', { details: { field: 'version' } });
  }
  if (record['type'] !== type) {
    throw new CryptoError('malformed', `Expected a message of type "${type}".`, { details: { field: 'type', expected: type } });
  }
  return record;
}

/** A non-negative integer millisecond timestamp. */
export function timestampField(record: Readonly<Record<string, unknown>>, field: string): number {
  return nonNegativeIntegerField(record, field, ' (milliseconds since the epoch)');
}

/** A non-negative safe integer. */
export function nonNegativeIntegerField(record: Readonly<Record<string, unknown>>, field: string, hint = ''): number {
  const value = record[field];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new CryptoError('malformed', `Field "${field}" must be a non-negative integer${hint}.`, { details: { field } });
  }
  return value;
}

function nodeIdField(record: Readonly<Record<string, unknown>>, field: string): string {
  return checkNodeId(record[field], field);
}
