import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogLevel, Logger } from '../logger.js';
import { LentBytes } from '../sync/lent-bytes.js';
import type { ModelLoadContext } from '../model-host.js';
import { testModelsDir } from '../../test/e2e/server-process.js';
import { ModelFetcher, partPaths, type PeerChannel } from './model-fetcher.js';
import { chunkFrame, decodeChunkPieces, MODEL_CHUNK_BYTES, type ChunkPieces, type ModelChunkRequest, type ModelOfferRequest } from './model-share-protocol.js';
import { chunkBytesFor, ModelShareServer } from './model-share-server.js';

const CHUNK = 64 * 1024;

interface Logged {
  readonly level: LogLevel;
  readonly message: string;
  readonly fields: Record<string, unknown>;
}

let dir: string;
let source: string;
let target: string;
let logs: Logged[];
let logger: Logger;

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

function context(signal = new AbortController().signal): ModelLoadContext & { details: string[] } {
  const details: string[] = [];
  return { details, onDownloadProgress: () => undefined, report: (detail) => details.push(detail), signal };
}

/** An answer's bytes as the sync port seals them: a lent chunk is copied (as sealing does) and given back at once. */
function asBytes(answer: unknown): Buffer {
  if (Buffer.isBuffer(answer)) return answer;
  if (!(answer instanceof LentBytes)) return Buffer.from(JSON.stringify(answer));
  const bytes = Buffer.from(answer.bytes);
  answer.giveBack();
  return bytes;
}
/** An answer as `requestPieces` gives it: the pieces a socket might deliver (the chunk header split, then uneven cuts), and their sha256 from `sha256From`. */
function asPieces(answer: unknown, sha256From: number | undefined): { plaintext: Buffer[]; sha256: string | undefined } {
  const bytes = asBytes(answer);
  const plaintext = [bytes.subarray(0, 3)];
  for (let offset = 3; offset < bytes.length; offset += 7001) plaintext.push(bytes.subarray(offset, offset + 7001));
  return { plaintext, sha256: sha256From === undefined ? undefined : createHash('sha256').update(bytes.subarray(sha256From)).digest('hex') };
}

/** A peer whose channel runs the real share server in-process (the sealing is the sync port's). */
function peerChannel(server: ModelShareServer, tamper?: (answer: unknown, request: ModelOfferRequest | ModelChunkRequest) => unknown): PeerChannel {
  const answer = async (message: object): Promise<unknown> => {
    const request = message as ModelOfferRequest | ModelChunkRequest;
    const response = await server.answer(request, 'peer-1');
    return tamper === undefined ? response : tamper(response, request);
  };
  return { request: answer, requestPieces: async (message, { sha256From }) => asPieces(await answer(message), sha256From), close: () => undefined };
}

function fetcherFor(channel: PeerChannel): ModelFetcher {
  return new ModelFetcher({ peers: () => [{ nodeId: 'peer-1', name: 'h1', address: '10.0.0.1:5000' }], openChannel: () => channel, logger, retryMs: 10 });
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'trosyn-model-fetch-'));
  // The giver's model has the file name the asker wants, in another folder.
  mkdirSync(join(dir, 'giver'));
  source = join(dir, 'giver', 'model.gguf');
  copyFileSync(resolve(testModelsDir(), 'stories260K.gguf'), source);
  target = join(dir, 'model.gguf');
  logs = [];
  logger = { log: (level, message, fields = {}) => logs.push({ level, message, fields }) };
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

// The giver serves its own model file only, under the name the asker wants.
const giver = (options: Partial<ConstructorParameters<typeof ModelShareServer>[0]> = {}): ModelShareServer =>
  new ModelShareServer({ modelPath: source, nodeName: 'h1', enabled: true, maxBytesPerSecond: undefined, logger, chunkBytes: CHUNK, ...options });

describe('ModelFetcher with the real share server', () => {
  it('fetches the file chunk by chunk, checks it and renames it into place', async () => {
    const ctx = context();
    let found = 0;
    const ok = await fetcherFor(peerChannel(giver())).fetch(target, ctx, () => (found += 1));
    expect(ok).toBe(true);
    expect(found).toBe(1);
    expect(sha256(target)).toBe(sha256(source));
    expect(existsSync(partPaths(target).part)).toBe(false);
    expect(existsSync(partPaths(target).meta)).toBe(false);
    expect(ctx.details.at(-2)).toMatch(/fetching model\.gguf from peer h1 \(10\.0\.0\.1:5000\): 1\.2 of 1\.2 MB, .* MB\/s, ETA 0 s/);
    expect(ctx.details.at(-1)).toBe('checking the sha256 of model.gguf (1.2 MB from peer h1)');
    expect(logs.some((line) => line.fields['event'] === 'model-transfer-done')).toBe(true);
  });

  it('continues a partial file, cutting it at a chunk that does not match, and rejects a chunk the peer garbles', async () => {
    const server = giver();
    // A first run stopped after ten chunks were answered (as by SIGKILL; with chunks in flight,
    // fewer are on disk), and the last whole one was torn on disk.
    const stop = new AbortController();
    let chunks = 0;
    const stopping = peerChannel(server, (answer, request) => {
      if (request.type === 'model-chunk' && ++chunks === 10) stop.abort();
      return answer;
    });
    expect(await fetcherFor(stopping).fetch(target, context(stop.signal), () => undefined)).toBe(false);
    const { part } = partPaths(target);
    const partial = statSync(part).size;
    const total = Math.ceil(statSync(source).size / CHUNK);
    expect(partial % CHUNK).toBe(0);
    expect(partial).toBeGreaterThanOrEqual(2 * CHUNK);
    const lastWhole = partial / CHUNK - 1;
    const bytes = readFileSync(part);
    bytes[lastWhole * CHUNK + 100] = bytes[lastWhole * CHUNK + 100]! ^ 0xff;
    writeFileSync(part, bytes);

    // The peer garbles the last chunk twice (a bad disk, a changed file): rejected and asked again.
    let garbled = 0;
    const asked = new Map<number, number>();
    const statesWhenAskedAgain: (string | undefined)[] = [];
    const garbling = peerChannel(server, (answer, request) => {
      if (request.type === 'model-chunk') asked.set(request.index, (asked.get(request.index) ?? 0) + 1);
      if (request.type === 'model-chunk' && (asked.get(request.index) ?? 0) > 1) statesWhenAskedAgain.push(fetcher.status?.state);
      if (request.type === 'model-chunk' && request.index === total - 1 && garbled < 2 && answer instanceof LentBytes) {
        garbled += 1;
        const copy = asBytes(answer);
        copy[5] = copy[5]! ^ 0xff; // the first byte of the chunk's data, after the 5-byte header
        return copy;
      }
      return answer;
    });
    const fetcher = fetcherFor(garbling);
    expect(await fetcher.fetch(target, context(), () => undefined)).toBe(true);
    // Asked again in the repair pass, after every byte was in: the status says so, not "fetching" at 100 %.
    expect(statesWhenAskedAgain).toEqual(['verifying', 'verifying']);
    expect(fetcher.status?.state).toBe('done');
    expect(sha256(target)).toBe(sha256(source));
    const started = logs.filter((line) => line.fields['event'] === 'model-transfer-started').at(-1)!;
    expect(started.fields['resumed_bytes']).toBe(lastWhole * CHUNK);
    const rejected = logs.filter((line) => line.fields['event'] === 'model-chunk-rejected');
    expect(rejected.map((line) => [line.fields['source'], line.fields['index']])).toEqual([['disk', lastWhole], ['peer', total - 1], ['peer', total - 1]]);
    // The garbled chunk shows in the whole file's sha256; only it is fetched again (verified,
    // until it matches), the others once.
    expect(asked.get(total - 1)).toBe(3);
    expect([...asked].filter(([index]) => index !== total - 1).every(([, times]) => times === 1)).toBe(true);
  });

  it('deletes a file whose whole sha256 is not the advertised one, and fetches it again', async () => {
    const server = giver();
    const real = (await server.answer({ type: 'model-offer', file: 'model.gguf' }, 'peer-1')) as { sha256: string };
    // The first offer claims another sha256 for the same chunks; the second is the truth.
    let offers = 0;
    const lying = peerChannel(server, (answer, request) => (request.type === 'model-offer' && offers++ === 0 ? { ...(answer as object), sha256: 'f'.repeat(64) } : answer));
    // The chunk requests name the offer's sha256: the giver refuses the lie's, so serve by the truth.
    const channel: PeerChannel = {
      request: (message) => lying.request(message),
      requestPieces: async (message, options) => {
        const request = message as ModelChunkRequest;
        return request.type === 'model-chunk' ? asPieces(await server.answer({ ...request, sha256: real.sha256 }, 'peer-1'), options.sha256From) : lying.requestPieces(message, options);
      },
      close: () => undefined,
    };
    expect(await fetcherFor(channel).fetch(target, context(), () => undefined)).toBe(true);
    expect(sha256(target)).toBe(real.sha256);
    expect(logs.filter((line) => line.fields['event'] === 'model-rejected')).toHaveLength(1);
    expect(logs.filter((line) => line.fields['event'] === 'model-transfer-done')).toHaveLength(1);
  });

  it('gets nothing from a node that does not share, and tells why', async () => {
    const server = giver({ enabled: false });
    expect(await server.answer({ type: 'model-offer', file: 'model.gguf' }, 'peer-1')).toEqual({
      type: 'model-offer', available: false, file: 'model.gguf', reason: 'model sharing is off on this node (LLM_MODEL_SHARE=false)',
    });
    const sharing = giver();
    expect(await sharing.answer({ type: 'model-offer', file: 'other.gguf' }, 'peer-1')).toMatchObject({ available: false, reason: "this node's model is model.gguf" });
    expect(await sharing.answer({ type: 'model-chunk', file: 'model.gguf', sha256: 'x', index: 0 }, 'peer-1')).toMatchObject({ type: 'error', code: 'model-unavailable' });
    expect(await sharing.answer({ type: 'model-chunk', file: 'model.gguf', sha256: sha256(source), index: 999 }, 'peer-1')).toMatchObject({ type: 'error', code: 'invalid-message' });
  });

  it('decodes a chunk opened as pieces, whatever the cuts, without copying its bytes', () => {
    const { frame, data } = chunkFrame(42, 10);
    data.set(Buffer.from('0123456789'));
    const bytewise = [...frame].map((byte) => Buffer.from([byte]));
    for (const pieces of [[frame], [frame.subarray(0, 5), frame.subarray(5)], [frame.subarray(0, 2), frame.subarray(2, 7), frame.subarray(7)], bytewise]) {
      const decoded = decodeChunkPieces(pieces);
      expect(decoded).toMatchObject({ index: 42, bytes: 10 });
      expect(Buffer.concat((decoded as ChunkPieces).data).toString()).toBe('0123456789');
    }
    const [view] = (decodeChunkPieces([frame]) as ChunkPieces).data;
    expect(view!.buffer).toBe(frame.buffer);
    const refusal = Buffer.from(JSON.stringify({ type: 'error', protocol: 1, code: 'model-unavailable', message: 'gone' }));
    expect(decodeChunkPieces([refusal.subarray(0, 4), refusal.subarray(4)])).toMatchObject({ code: 'model-unavailable', message: 'gone' });
    expect(decodeChunkPieces([Buffer.from([1, 0])])).toMatchObject({ code: 'invalid-message' });
    expect(decodeChunkPieces([])).toMatchObject({ code: 'invalid-message' });
  });

  it('gives smaller chunks under a low bandwidth cap, so chunks in flight are answered within the request timeout', () => {
    expect(chunkBytesFor(undefined)).toBe(MODEL_CHUNK_BYTES);
    expect(chunkBytesFor(12_000_000)).toBe(MODEL_CHUNK_BYTES);
    expect(chunkBytesFor(1_000_000)).toBe(1024 * 1024);
    expect(chunkBytesFor(100_000)).toBe(128 * 1024);
    expect(chunkBytesFor(1)).toBe(64 * 1024);
  });

  it('paces chunks to the bandwidth cap', async () => {
    const server = giver({ maxBytesPerSecond: 4 * CHUNK });
    const started = performance.now();
    for (let index = 0; index < 6; index += 1) await server.answer({ type: 'model-chunk', file: 'model.gguf', sha256: sha256(source), index }, 'peer-1');
    // Six chunks at four per second: the first goes at once, the sixth 1.25 s later.
    expect(performance.now() - started).toBeGreaterThan(1200);
  });
});
