import { randomUUID } from 'node:crypto';
import { SyncError } from '../errors.js';
import { encodeData, MAX_ID_LENGTH, MAX_TYPE_LENGTH } from '../message-validator.js';
import type { PutInput } from '../sync-types.js';

// Checks of what the local API receives: every failure is an `invalid-argument` SyncError
// naming the argument.

/** An item id: a string of 1–256 characters. */
export function checkId(id: unknown): string {
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) {
    throw new SyncError('invalid-argument', `item id must be a string of 1–${MAX_ID_LENGTH} characters`);
  }
  return id;
}

/** An item type: a string of 1–128 characters. */
export function checkType(type: unknown): string {
  if (typeof type !== 'string' || type.length === 0 || type.length > MAX_TYPE_LENGTH) {
    throw new SyncError('invalid-argument', `item type must be a string of 1–${MAX_TYPE_LENGTH} characters`);
  }
  return type;
}

/** A page size: an integer from 1 to 1000, default 100. */
export function checkLimit(limit: number | undefined): number {
  if (limit === undefined) return 100;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000) throw new SyncError('invalid-argument', 'limit must be an integer from 1 to 1000');
  return limit;
}

/** A local write, checked and encoded. */
export interface PreparedWrite {
  readonly id: string;
  readonly type: string;
  readonly dataJson: string;
}

/** Checks and encodes the inputs of a write (a random UUID for a missing id); data must fit `maxItemBytes`. */
export function prepareWrites(inputs: readonly PutInput[], maxItemBytes: number): PreparedWrite[] {
  return inputs.map((input, i) => {
    if (typeof input !== 'object' || input === null) throw new SyncError('invalid-argument', `inputs[${i}] must be an object`);
    const id = input.id === undefined ? randomUUID() : checkId(input.id);
    const type = checkType(input.type);
    if (input.data === null) throw new SyncError('invalid-argument', 'data must not be null (null marks deleted items; use delete())');
    let dataJson: string;
    try {
      dataJson = encodeData(input.data, `inputs[${i}].data`, maxItemBytes);
    } catch (error) {
      throw new SyncError('invalid-argument', error instanceof Error ? error.message : String(error), { cause: error });
    }
    return { id, type, dataJson };
  });
}
