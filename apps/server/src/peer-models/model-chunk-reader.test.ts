import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testModelsDir } from '../../test/e2e/server-process.js';
import { ModelChunkReader } from './model-chunk-reader.js';
import { CHUNK_HEADER_BYTES, decodeChunkPieces, type ChunkPieces } from './model-share-protocol.js';

const CHUNK = 64 * 1024;
const path = resolve(testModelsDir(), 'stories260K.gguf');
const file = readFileSync(path);
const source = { path, version: 'v1', size: statSync(path).size, chunkBytes: CHUNK, chunks: Math.ceil(statSync(path).size / CHUNK) };

function expectChunk(frame: Uint8Array, index: number): void {
  const decoded = decodeChunkPieces([Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength)]) as ChunkPieces;
  expect(decoded.index).toBe(index);
  expect(Buffer.concat(decoded.data).equals(file.subarray(index * CHUNK, (index + 1) * CHUNK))).toBe(true);
}

describe('ModelChunkReader', () => {
  it('reads the next chunks into the buffers of chunks given back, and never into one still lent', async () => {
    const reader = new ModelChunkReader(1);
    try {
      const first = await reader.read(source, 0);
      expectChunk(first.bytes, 0);
      const firstBuffer = first.bytes.buffer;
      // Chunk 2 is read ahead (into a buffer of its own) while chunk 0 is lent.
      const second = await reader.read(source, 1);
      expectChunk(second.bytes, 1);
      // Given back (sealed): chunk 3, read ahead from here on, goes into chunk 0's buffer.
      first.giveBack();
      first.giveBack(); // idempotent: the buffer is not handed out twice
      const third = await reader.read(source, 2);
      expectChunk(third.bytes, 2);
      const fourth = await reader.read(source, 3);
      expectChunk(fourth.bytes, 3);
      const buffers = [first, second, third, fourth].map((lent) => lent.bytes.buffer);
      expect(buffers[3] === firstBuffer).toBe(true);
      expect(new Set(buffers.slice(1)).size).toBe(3); // none of the others shares one
      for (const lent of [second, third, fourth]) lent.giveBack();
      // The last chunk is shorter: a view of the start of a reused buffer, its own length.
      const last = await reader.read(source, source.chunks - 1);
      expect(last.bytes.byteLength).toBe(CHUNK_HEADER_BYTES + source.size - (source.chunks - 1) * CHUNK);
      expectChunk(last.bytes, source.chunks - 1);
    } finally {
      reader.close();
    }
  });
});
