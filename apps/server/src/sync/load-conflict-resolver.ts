import { existsSync, statSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { ConflictResolverFunction } from '@trosyn/sync-core';

const VARIABLE = 'LAN_SYNC_CONFLICT_RESOLVER';
const SHAPE = 'export function resolveConflict(local, remote, { nodeId, defaultResolve }) returning the item to keep (a named export, or the default export)';

/** A resolver module that cannot be used; the message names the variable and what to fix. */
export class ConflictResolverLoadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(`${VARIABLE}: ${message}`, options);
    this.name = 'ConflictResolverLoadError';
  }
}

/**
 * Loads the operator's conflict resolver from the ES module at `path` (absolute): its
 * `resolveConflict` export, or its default export, must be a function with the signature of
 * `@trosyn/sync-core`'s `ConflictResolver`. Its results are validated by the engine each time it
 * runs (an invalid one fails the round with `invalid-resolution`, nothing applied).
 *
 * @throws {ConflictResolverLoadError} when the file is missing, fails to load, or exports no function.
 * @example
 * ```ts
 * const resolveConflict = await loadConflictResolver('/etc/trosyn/merge-documents.mjs');
 * ```
 */
export async function loadConflictResolver(path: string): Promise<ConflictResolverFunction> {
  if (!existsSync(path) || !statSync(path).isFile()) throw new ConflictResolverLoadError(`no file at ${path}; it must name a JavaScript module that can ${SHAPE}.`);
  let exports: Record<string, unknown>;
  try {
    exports = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    throw new ConflictResolverLoadError(`cannot load ${path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const resolver = exports['resolveConflict'] ?? exports['default'];
  if (typeof resolver !== 'function') {
    const found = Object.keys(exports);
    throw new ConflictResolverLoadError(`${path} must ${SHAPE}; it exports ${found.length === 0 ? 'nothing' : found.map((name) => `${name} (${typeof exports[name]})`).join(', ')}.`);
  }
  return resolver as ConflictResolverFunction;
}
