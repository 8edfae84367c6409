import { SyncProtocolError } from './errors.js';
import { isValidHlc } from './hlc.js';
import {
  MAX_LOST_VERSIONS,
  SYNC_PROTOCOL_VERSION,
  type Change,
  type LostVersion,
  type ChangePage,
  type LogCursor,
  type PageLimits,
  type PullRequest,
  type PullResponse,
  type PushRequest,
  type PushResponse,
  type SyncRequest,
} from './messages.js';
import { isValidNodeId } from './node-id.js';
import type { VersionVector } from './version-vector.js';

/** Longest item id accepted, in characters. */
export const MAX_ID_LENGTH = 256;
/** Longest item type accepted, in characters. */
export const MAX_TYPE_LENGTH = 128;
/** Most entries a version vector may hold (one per node that ever wrote the item). */
export const MAX_VECTOR_ENTRIES = 1024;
/** Fixed per-change overhead added to the size estimate (field names, numbers, HLCs). */
export const CHANGE_OVERHEAD_BYTES = 160;

/** Limits a received message is checked against. */
export interface ValidationLimits extends PageLimits {
  /** Largest JSON text of one item's data. */
  readonly maxItemBytes: number;
}

/** A validated lost version with its data's JSON text. */
export interface ValidatedLostVersion extends LostVersion {
  readonly dataJson: string | null;
  readonly vectorJson: string;
}

/** A validated change with its JSON encodings computed once (they are what gets stored). */
export interface ValidatedChange extends Change {
  readonly dataJson: string | null;
  readonly vectorJson: string;
  readonly valueVectorJson: string | null;
  readonly lost?: readonly ValidatedLostVersion[];
}

/** A validated page. */
export interface ValidatedPage extends ChangePage {
  readonly changes: readonly ValidatedChange[];
  /** Estimated size in bytes. */
  readonly bytes: number;
}

function fail(message: string, path: string): never {
  throw new SyncProtocolError('invalid-message', message, path);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function record(value: unknown, path: string): Record<string, unknown> {
  if (!isRecord(value)) fail('expected an object', path);
  return value;
}

function seqNumber(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) fail('expected a non-negative integer', path);
  return value;
}

function positiveInt(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) fail('expected a positive integer', path);
  return value;
}

function bool(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') fail('expected a boolean', path);
  return value;
}

function str(value: unknown, path: string, max: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) fail(`expected a string of 1–${max} characters`, path);
  return value;
}

function nodeId(value: unknown, path: string): string {
  if (!isValidNodeId(value)) fail('expected a node id', path);
  return value;
}

function epoch(value: unknown, path: string): string {
  return str(value, path, 64);
}

function protocol(value: Record<string, unknown>, path: string): void {
  if (value.protocol !== SYNC_PROTOCOL_VERSION) {
    throw new SyncProtocolError(
      'protocol-mismatch',
      `protocol version ${JSON.stringify(value.protocol)} is not supported (this node speaks ${SYNC_PROTOCOL_VERSION})`,
      `${path}.protocol`,
    );
  }
}

function vector(value: unknown, path: string): VersionVector {
  const object = record(value, path);
  const keys = Object.keys(object);
  if (keys.length === 0 || keys.length > MAX_VECTOR_ENTRIES) fail(`expected 1–${MAX_VECTOR_ENTRIES} entries`, path);
  for (const key of keys) {
    if (!isValidNodeId(key)) fail('expected node ids as keys', `${path}.${key}`);
    if (!isValidHlc(object[key])) fail('expected an HLC timestamp', `${path}.${key}`);
  }
  return object as VersionVector;
}

function sortedVectorJson(v: VersionVector): string {
  const keys = Object.keys(v);
  let sorted = true;
  for (let i = 1; i < keys.length && sorted; i++) sorted = keys[i - 1]! < keys[i]!;
  // Conforming senders already send sorted keys; only re-order when needed.
  if (sorted) return JSON.stringify(v);
  const out: Record<string, string> = {};
  for (const key of keys.sort()) out[key] = v[key]!;
  return JSON.stringify(out);
}

/** Validates `value` as page limits. */
export function parseLimits(value: unknown, path: string): PageLimits {
  const object = record(value, path);
  return { maxChanges: positiveInt(object.maxChanges, `${path}.maxChanges`), maxBytes: positiveInt(object.maxBytes, `${path}.maxBytes`) };
}

function cursor(value: unknown, path: string): LogCursor {
  const object = record(value, path);
  const e = object.epoch === null ? null : epoch(object.epoch, `${path}.epoch`);
  return { epoch: e, seq: seqNumber(object.seq, `${path}.seq`), resyncing: bool(object.resyncing, `${path}.resyncing`) };
}

/**
 * The fields every carried version of an item has (a change, or one of its lost versions):
 * tombstone flag, version, HLC, author, causal context and data (`null` exactly for tombstones).
 */
function itemVersion(object: Record<string, unknown>, path: string, limits: ValidationLimits) {
  const deleted = bool(object.deleted, `${path}.deleted`);
  const version = positiveInt(object.version, `${path}.version`);
  if (!isValidHlc(object.hlc)) fail('expected an HLC timestamp', `${path}.hlc`);
  const author = nodeId(object.nodeId, `${path}.nodeId`);
  const vec = vector(object.vector, `${path}.vector`);
  if (!('data' in object)) fail('missing data', `${path}.data`);
  let dataJson: string | null = null;
  if (deleted) {
    if (object.data !== null) fail('a tombstone carries data null', `${path}.data`);
  } else {
    dataJson = encodeData(object.data, `${path}.data`, limits.maxItemBytes);
  }
  return { data: object.data as LostVersion['data'], deleted, version, hlc: object.hlc as string, nodeId: author, vector: vec, dataJson, vectorJson: sortedVectorJson(vec) };
}

function change(value: unknown, path: string, limits: ValidationLimits): ValidatedChange {
  const object = record(value, path);
  const seq = positiveInt(object.seq, `${path}.seq`);
  const id = str(object.id, `${path}.id`, MAX_ID_LENGTH);
  const type = str(object.type, `${path}.type`, MAX_TYPE_LENGTH);
  const carried = itemVersion(object, path, limits);
  const origin = nodeId(object.origin, `${path}.origin`);
  const valueVec = object.valueVector === undefined ? undefined : vector(object.valueVector, `${path}.valueVector`);
  const lost = object.lost === undefined ? undefined : lostVersions(object.lost, `${path}.lost`, valueVec !== undefined, limits);
  const base = { seq, id, type, ...carried, origin, valueVectorJson: valueVec === undefined ? null : sortedVectorJson(valueVec) };
  if (valueVec === undefined) return base;
  return lost === undefined ? { ...base, valueVector: valueVec } : { ...base, valueVector: valueVec, lost };
}

function lostVersions(value: unknown, path: string, hasValueVector: boolean, limits: ValidationLimits): ValidatedLostVersion[] {
  if (!hasValueVector) fail('lost versions come only with a valueVector', path);
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_LOST_VERSIONS) fail(`expected an array of 1–${MAX_LOST_VERSIONS} versions`, path);
  let bytes = 0;
  return (value as unknown[]).map((entry, i) => {
    const at = `${path}[${i}]`;
    const lost = itemVersion(record(entry, at), at, limits);
    // All lost versions of one change together stay within one item's size.
    bytes += lost.dataJson?.length ?? 0;
    if (bytes > limits.maxItemBytes) throw new SyncProtocolError('payload-too-large', `lost versions are larger than maxItemBytes (${limits.maxItemBytes})`, at);
    return lost;
  });
}

/**
 * Encodes item data as JSON text, enforcing the size limit.
 * @throws {SyncProtocolError} `invalid-message` when it is not JSON-representable, `payload-too-large` when too big.
 */
export function encodeData(data: unknown, path: string, maxItemBytes: number): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(data);
  } catch (error) {
    throw new SyncProtocolError('invalid-message', 'data is not JSON-serialisable', path, { cause: error });
  }
  if (typeof json !== 'string' || data === undefined) fail('data is not JSON-serialisable', path);
  // String length counts UTF-16 units; bytes can be up to 3x. Cheap upper bound first.
  if (json.length > maxItemBytes || (json.length * 3 > maxItemBytes && Buffer.byteLength(json) > maxItemBytes)) {
    throw new SyncProtocolError('payload-too-large', `data is larger than maxItemBytes (${maxItemBytes})`, path);
  }
  return json;
}

/**
 * Estimated wire size of one change, as used for page byte limits on both sides. `lostBytes`:
 * the data text lengths of its lost versions, if any.
 */
export function estimateChangeBytes(
  id: string,
  type: string,
  dataJson: string | null,
  vectorJson: string,
  valueVectorJson: string | null,
  lost: readonly { readonly dataJson: string | null; readonly vectorJson: string }[] = [],
): number {
  let bytes = CHANGE_OVERHEAD_BYTES + id.length + type.length + (dataJson?.length ?? 4) + vectorJson.length + (valueVectorJson?.length ?? 0);
  for (const version of lost) bytes += CHANGE_OVERHEAD_BYTES + (version.dataJson?.length ?? 4) + version.vectorJson.length;
  return bytes;
}

/**
 * Validates an untrusted change page: shape, types, sizes, and a strictly increasing
 * sequence inside `(after, through]`. Throws without side effects.
 */
export function parseChangePage(value: unknown, limits: ValidationLimits, path = 'page'): ValidatedPage {
  const object = record(value, path);
  const sender = nodeId(object.nodeId, `${path}.nodeId`);
  const pageEpoch = epoch(object.epoch, `${path}.epoch`);
  if (object.mode !== 'delta' && object.mode !== 'full') fail("expected 'delta' or 'full'", `${path}.mode`);
  const after = seqNumber(object.after, `${path}.after`);
  const through = seqNumber(object.through, `${path}.through`);
  if (through < after) fail('through is before after: the sequence goes backwards', `${path}.through`);
  const hasMore = bool(object.hasMore, `${path}.hasMore`);
  let receiverCursor: ChangePage['receiverCursor'] = null;
  if (object.receiverCursor !== null) {
    const rc = record(object.receiverCursor, `${path}.receiverCursor`);
    receiverCursor = { epoch: epoch(rc.epoch, `${path}.receiverCursor.epoch`), seq: seqNumber(rc.seq, `${path}.receiverCursor.seq`) };
  }
  let echoIds: string[] | undefined;
  if (object.echoIds !== undefined) {
    if (!Array.isArray(object.echoIds)) fail('expected an array', `${path}.echoIds`);
    if (object.echoIds.length > limits.maxChanges * 20) {
      throw new SyncProtocolError('payload-too-large', `more than ${limits.maxChanges * 20} echo ids`, `${path}.echoIds`);
    }
    echoIds = (object.echoIds as unknown[]).map((id, i) => str(id, `${path}.echoIds[${i}]`, MAX_ID_LENGTH));
  }
  if (!Array.isArray(object.changes)) fail('expected an array', `${path}.changes`);
  const raw: unknown[] = object.changes;
  if (raw.length > limits.maxChanges) {
    throw new SyncProtocolError('payload-too-large', `page holds ${raw.length} changes, more than the limit of ${limits.maxChanges}`, `${path}.changes`);
  }
  const changes: ValidatedChange[] = [];
  const ids = new Set<string>();
  let bytes = 0;
  let previous = after;
  for (let i = 0; i < raw.length; i++) {
    const c = change(raw[i], `${path}.changes[${i}]`, limits);
    if (c.seq <= previous) fail(`sequence goes backwards or repeats (${c.seq} after ${previous})`, `${path}.changes[${i}].seq`);
    if (c.seq > through) fail(`sequence ${c.seq} is beyond the page end ${through}`, `${path}.changes[${i}].seq`);
    if (ids.has(c.id)) fail(`item ${JSON.stringify(c.id)} appears twice in one page`, `${path}.changes[${i}].id`);
    ids.add(c.id);
    previous = c.seq;
    bytes += estimateChangeBytes(c.id, c.type, c.dataJson, c.vectorJson, c.valueVectorJson, c.lost);
    // One change may exceed the byte budget on its own (it must still get through); more may not.
    if (bytes > limits.maxBytes && i > 0) {
      throw new SyncProtocolError('payload-too-large', `page is larger than the limit of ${limits.maxBytes} bytes`, `${path}.changes`);
    }
    changes.push(c);
  }
  const page: ValidatedPage = { nodeId: sender, epoch: pageEpoch, mode: object.mode as ChangePage['mode'], after, through, hasMore, changes, receiverCursor, bytes };
  return echoIds === undefined ? page : { ...page, echoIds };
}

/** Validates an untrusted request received by a responder. */
export function parseSyncRequest(value: unknown, limits: ValidationLimits): SyncRequest | (PushRequest & { readonly page: ValidatedPage }) {
  const object = record(value, 'request');
  if (object.type !== 'pull' && object.type !== 'push') fail("expected type 'pull' or 'push'", 'request.type');
  protocol(object, 'request');
  if (object.type === 'pull') {
    const request: PullRequest = {
      type: 'pull',
      protocol: SYNC_PROTOCOL_VERSION,
      nodeId: nodeId(object.nodeId, 'request.nodeId'),
      epoch: epoch(object.epoch, 'request.epoch'),
      cursor: cursor(object.cursor, 'request.cursor'),
      limits: parseLimits(object.limits, 'request.limits'),
    };
    return request;
  }
  return { type: 'push', protocol: SYNC_PROTOCOL_VERSION, page: parseChangePage(object.page, limits, 'request.page') };
}

/** A validated response: pages are {@link ValidatedPage}s. */
export type ValidatedResponse =
  | (PullResponse & { readonly page: ValidatedPage })
  | PushResponse
  | { readonly type: 'error'; readonly protocol: number; readonly code: string; readonly message: string };

/** Validates an untrusted response received by a requester. */
export function parseSyncResponse(value: unknown, limits: ValidationLimits): ValidatedResponse {
  const object = record(value, 'response');
  if (object.type === 'error') {
    return {
      type: 'error',
      protocol: typeof object.protocol === 'number' ? object.protocol : SYNC_PROTOCOL_VERSION,
      code: str(object.code, 'response.code', 64),
      message: typeof object.message === 'string' ? object.message.slice(0, 2000) : '',
    };
  }
  protocol(object, 'response');
  if (object.type === 'pull-page') {
    return {
      type: 'pull-page',
      protocol: SYNC_PROTOCOL_VERSION,
      page: parseChangePage(object.page, limits, 'response.page'),
      yourCursor: object.yourCursor === null ? null : cursor(object.yourCursor, 'response.yourCursor'),
      limits: parseLimits(object.limits, 'response.limits'),
    };
  }
  if (object.type === 'push-ack') {
    return {
      type: 'push-ack',
      protocol: SYNC_PROTOCOL_VERSION,
      nodeId: nodeId(object.nodeId, 'response.nodeId'),
      cursor: cursor(object.cursor, 'response.cursor'),
    };
  }
  return fail("expected type 'pull-page', 'push-ack' or 'error'", 'response.type');
}

