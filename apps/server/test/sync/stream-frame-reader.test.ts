import { describe, expect, it } from 'vitest';
import { encodeStreamFrame, STREAM_FRAME_REFUSAL, STREAM_FRAME_SEALED, StreamFrameReader, type StreamFrame } from '../../src/sync/sync-stream.js';

/** Frames of `bytes` pushed in pieces cut at every `step` bytes, sealed ones streamed to sinks. */
function read(bytes: Buffer, step: number): { frames: StreamFrame[]; sunk: Buffer[][] } {
  const reader = new StreamFrameReader(1 << 20);
  const frames: StreamFrame[] = [];
  const sunk: Buffer[][] = [];
  for (let offset = 0; offset < bytes.length; offset += step) {
    const done = reader.push(bytes.subarray(offset, offset + step), (kind) => {
      if (kind !== STREAM_FRAME_SEALED) return undefined;
      const pieces: Buffer[] = [];
      sunk.push(pieces);
      return { write: (piece) => pieces.push(Buffer.from(piece)) };
    });
    frames.push(...done);
  }
  return { frames, sunk };
}

describe('StreamFrameReader with sinks', () => {
  it('streams sealed payloads to their sinks and gathers the others, whatever the cuts', () => {
    const big = Buffer.alloc(200_000, 7);
    const bytes = Buffer.concat([
      encodeStreamFrame(STREAM_FRAME_SEALED, Buffer.from('first')),
      encodeStreamFrame(STREAM_FRAME_REFUSAL, Buffer.from('{"status":401}')),
      encodeStreamFrame(STREAM_FRAME_SEALED, big),
      encodeStreamFrame(STREAM_FRAME_SEALED, Buffer.alloc(0)),
      encodeStreamFrame(STREAM_FRAME_SEALED, Buffer.from('last')),
    ]);
    for (const step of [1, 3, 5, 7, 4096, 65_536, bytes.length]) {
      const { frames, sunk } = read(bytes, step);
      expect(frames.map((frame) => [frame.kind, frame.streamed ?? false]), `step ${step}`).toEqual([
        [STREAM_FRAME_SEALED, true], [STREAM_FRAME_REFUSAL, false], [STREAM_FRAME_SEALED, true], [STREAM_FRAME_SEALED, true], [STREAM_FRAME_SEALED, true],
      ]);
      expect(frames[1]!.payload.toString()).toBe('{"status":401}');
      expect(sunk.map((pieces) => Buffer.concat(pieces).toString('latin1'))).toEqual(['first', '', big.toString('latin1'), '', 'last'].filter((_, i) => i !== 1));
      if (step < big.length) expect(sunk[1]!.length).toBeGreaterThan(1);
    }
  });

  it('asks for a sink with the frame\'s place among those one push returns, and still refuses an oversized frame', () => {
    const reader = new StreamFrameReader(100);
    const places: number[] = [];
    const three = Buffer.concat([0, 1, 2].map((n) => encodeStreamFrame(STREAM_FRAME_SEALED, Buffer.from([n]))));
    const frames = reader.push(three, (_kind, index) => {
      places.push(index);
      return { write: () => undefined };
    });
    expect(frames).toHaveLength(3);
    expect(places).toEqual([0, 1, 2]);
    expect(() => reader.push(encodeStreamFrame(STREAM_FRAME_SEALED, Buffer.alloc(200)), () => ({ write: () => undefined }))).toThrow(/stream frame of 201 bytes/);
  });
});
