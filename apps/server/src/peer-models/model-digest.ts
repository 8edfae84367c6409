import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';

/** A file's size and sha256, whole and per chunk. */
export interface ModelDigest {
  readonly size: number;
  readonly sha256: string;
  readonly chunkBytes: number;
  readonly chunkSha256: readonly string[];
}

/**
 * Hashes a file in one pass, whole and per `chunkBytes` chunk, reading one chunk at a time
 * (memory stays at one chunk whatever the file's size).
 */
export async function digestFile(path: string, chunkBytes: number): Promise<ModelDigest> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const whole = createHash('sha256');
    const chunkSha256: string[] = [];
    const buffer = Buffer.allocUnsafe(chunkBytes);
    for (let offset = 0; offset < size; offset += chunkBytes) {
      const { bytesRead } = await file.read(buffer, 0, Math.min(chunkBytes, size - offset), offset);
      const chunk = buffer.subarray(0, bytesRead);
      whole.update(chunk);
      chunkSha256.push(createHash('sha256').update(chunk).digest('hex'));
    }
    return { size, sha256: whole.digest('hex'), chunkBytes, chunkSha256 };
  } finally {
    await file.close();
  }
}

/**
 * The digest of the node's model file, computed once per version of the file (its size and
 * modification time), since hashing a multi-gigabyte model takes seconds.
 */
export class ModelDigestCache {
  readonly #chunkBytes: number;
  #cached: { readonly version: string; readonly digest: Promise<ModelDigest> } | undefined;

  constructor(chunkBytes: number) {
    this.#chunkBytes = chunkBytes;
  }

  async digest(path: string): Promise<ModelDigest> {
    return (await this.current(path)).digest;
  }

  /** The digest and the version (`path|size|mtime`) it is of: a reader of chunks must read that version. */
  async current(path: string): Promise<{ readonly version: string; readonly digest: ModelDigest }> {
    const info = await stat(path);
    const version = `${path}|${info.size}|${info.mtimeMs}`;
    if (this.#cached?.version !== version) {
      const digest = digestFile(path, this.#chunkBytes);
      digest.catch(() => undefined);
      this.#cached = { version, digest };
    }
    const { digest } = this.#cached;
    return { version, digest: await digest };
  }
}
