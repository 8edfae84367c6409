import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isValidNodeId } from '@trosyn/sync-core/primitives';

/** Where the node id lives, and whether this start created it. */
export interface NodeIdentity {
  readonly nodeId: string;
  /** `configured` (`LAN_SYNC_NODE_ID`), `stored` (read from `node-id`) or `generated` (now, and stored). */
  readonly origin: 'configured' | 'stored' | 'generated';
}

/** File in the data directory holding the generated node id. */
export const NODE_ID_FILE = 'node-id';

/**
 * The node's id: `configured` if given, else the one stored in `<dataDir>/node-id`, else a new
 * random one written there (atomically) so that every later start uses the same id.
 * @throws Error when the stored file holds an invalid id (it names the file).
 */
export function loadOrCreateNodeId(dataDir: string, configured: string | undefined): NodeIdentity {
  if (configured !== undefined) return { nodeId: configured, origin: 'configured' };
  const file = join(dataDir, NODE_ID_FILE);
  let stored: string | undefined;
  try {
    stored = readFileSync(file, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (stored !== undefined) {
    if (!isValidNodeId(stored)) throw new Error(`${file} holds an invalid node id ${JSON.stringify(stored)}; delete it to generate a new one, or set LAN_SYNC_NODE_ID`);
    return { nodeId: stored, origin: 'stored' };
  }
  mkdirSync(dataDir, { recursive: true });
  const nodeId = randomUUID();
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${nodeId}\n`, { mode: 0o644 });
  renameSync(temporary, file);
  return { nodeId, origin: 'generated' };
}
