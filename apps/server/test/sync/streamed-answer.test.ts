import { createHash } from 'node:crypto';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createRateLimiter, createResponder, createSessionStore, CryptoError, deriveNetworkKey, MIN_PWHASH_MEM_LIMIT, MIN_PWHASH_OPS_LIMIT } from '@trosyn/crypto';
import { SyncEngine, type SyncResponse } from '@trosyn/sync-core';
import { silentLogger } from '../../src/logger.js';
import { HttpSyncTransport } from '../../src/sync/http-sync-transport.js';
import { createSyncApp, listenSyncServer } from '../../src/sync/sync-server.js';

// HttpSyncTransport.requestPieces over a real sync port on 127.0.0.1: a large sealed answer is
// opened piece by piece as it arrives on the sync stream, through a proxy that can flip a byte.
const networkKey = await deriveNetworkKey('streamed-answer secret, not the default', { opsLimit: MIN_PWHASH_OPS_LIMIT, memLimit: MIN_PWHASH_MEM_LIMIT });
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const BLOB_BYTES = 6 * 1024 * 1024 + 123;
/** The answer to `{ type: 'blob', seed }`: deterministic bytes. */
function blob(seed: number): Buffer {
  const bytes = Buffer.allocUnsafe(BLOB_BYTES);
  for (let offset = 0; offset < bytes.length; offset += 4) bytes.writeUInt32LE((offset * 2654435761 + seed) >>> 0, Math.min(offset, bytes.length - 4));
  return bytes;
}
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** A TCP proxy to `port` that flips one byte of what the server sends, once armed. */
async function flippingProxy(port: number): Promise<{ port: number; flipAfter(bytes: number): void; flipped(): boolean }> {
  let armed: { skip: number } | undefined;
  let done = false;
  const server = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    client.pipe(upstream);
    upstream.on('data', (data: Buffer) => {
      if (armed !== undefined) {
        if (data.length > armed.skip) {
          data[armed.skip]! ^= 0x10;
          armed = undefined;
          done = true;
        } else armed.skip -= data.length;
      }
      client.write(data);
    });
    const close = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.address() as net.AddressInfo).port, flipAfter: (bytes) => (armed = { skip: bytes }), flipped: () => done };
}

async function pair(options: { streams: boolean }) {
  const engine = new SyncEngine({ database: ':memory:', nodeId: 'giver' });
  const handshake = createResponder({ networkKey, nodeId: 'giver' });
  const sessions = createSessionStore();
  const app = createSyncApp({
    responder: {
      handleSyncRequest: async (request, context) => {
        const message = request as { type: string; seed?: number };
        return message.type === 'blob' ? (blob(message.seed ?? 0) as unknown as SyncResponse) : engine.handleSyncRequest(request, context);
      },
    },
    handshake,
    sessions,
    nodeId: 'giver',
    nodeName: 'giver',
    logger: silentLogger,
    handshakeLimiter: createRateLimiter({ capacity: 100, refillPerSecond: 100 }),
    failureLimiter: createRateLimiter({ capacity: 5, refillPerSecond: 0.1 }),
    maxMessageBytes: 1024 * 1024,
  });
  const server = await listenSyncServer(app, { host: '127.0.0.1', port: 0 });
  const proxy = await flippingProxy(Number(new URL(server.url).port));
  const transport = new HttpSyncTransport({ url: `http://127.0.0.1:${proxy.port}`, networkKey, nodeId: 'fetcher', expectedPeerNodeId: 'giver', streams: options.streams });
  cleanups.push(async () => {
    transport.close();
    await server.close();
    sessions.dispose();
    handshake.dispose();
    await engine.dispose();
  });
  return { transport, proxy };
}

describe('HttpSyncTransport.requestPieces', () => {
  it('opens a large answer on the sync stream piece by piece, with the sha256 of its bytes from an offset', async () => {
    const { transport } = await pair({ streams: true });
    const answers = await Promise.all([1, 2, 3].map((seed) => transport.requestPieces({ type: 'blob', seed }, { sha256From: 5 })));
    expect(transport.streaming).toBe(true);
    for (const [index, answer] of answers.entries()) {
      const expected = blob(index + 1);
      expect(answer.plaintext.length).toBeGreaterThan(1); // never joined into one buffer
      expect(Buffer.concat(answer.plaintext).equals(expected)).toBe(true);
      expect(answer.sha256).toBe(sha256(expected.subarray(5)));
    }
    // The other forms on the same stream are unaffected.
    expect((await transport.requestRaw({ type: 'blob', seed: 9 })).equals(blob(9))).toBe(true);
    expect((await transport.requestPieces({ type: 'blob', seed: 4 })).sha256).toBeUndefined();
  });

  it('refuses an answer with a byte flipped in transit, releasing nothing, and the next answer opens', async () => {
    const { transport, proxy } = await pair({ streams: true });
    await transport.requestPieces({ type: 'blob', seed: 1 }); // handshake done, stream open
    for (const offset of [40, 3 * 1024 * 1024, BLOB_BYTES]) {
      proxy.flipAfter(offset);
      const refused = await transport.requestPieces({ type: 'blob', seed: 2 }, { sha256From: 0 }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(proxy.flipped()).toBe(true);
      expect(refused, `flip at ${offset}`).toBeInstanceOf(CryptoError);
      expect((refused as CryptoError).code).toBe('tampered');
      const next = await transport.requestPieces({ type: 'blob', seed: 3 }, { sha256From: 0 });
      expect(next.sha256).toBe(sha256(blob(3)));
    }
  });

  it('opens the answer whole over HTTP when there is no stream, in the same shape', async () => {
    const { transport } = await pair({ streams: false });
    const answer = await transport.requestPieces({ type: 'blob', seed: 5 }, { sha256From: 5 });
    expect(transport.streaming).toBe(false);
    expect(answer.plaintext).toHaveLength(1);
    expect(answer.plaintext[0]!.equals(blob(5))).toBe(true);
    expect(answer.sha256).toBe(sha256(blob(5).subarray(5)));
  });
});
