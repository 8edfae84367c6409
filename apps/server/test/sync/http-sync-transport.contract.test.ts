import { createRateLimiter, createResponder, createSessionStore, deriveNetworkKey, MIN_PWHASH_MEM_LIMIT, MIN_PWHASH_OPS_LIMIT } from '@trosyn/crypto';
import { SyncEngine } from '@trosyn/sync-core';
import { runSyncTransportTests } from '@trosyn/sync-core/testing';
import { silentLogger } from '../../src/logger.js';
import { HttpSyncTransport } from '../../src/sync/http-sync-transport.js';
import { createSyncApp, listenSyncServer } from '../../src/sync/sync-server.js';

// Argon2id at its minimum cost: the key derivation is not what this suite tests.
const networkKey = await deriveNetworkKey('contract-suite secret, not the default', { opsLimit: MIN_PWHASH_OPS_LIMIT, memLimit: MIN_PWHASH_MEM_LIMIT });

// sync-core's own contract suite, over real HTTP on 127.0.0.1 with a real handshake and sealed
// messages: on a sync stream (the default), and as one HTTP request per message (a peer without streams).
for (const streams of [true, false]) await runSyncTransportTests({
  name: `HTTP (sealed, 127.0.0.1, ${streams ? 'sync stream' : 'a request per message'})`,
  connect: async (responder, requesterId) => {
    const responderId = responder instanceof SyncEngine ? responder.nodeId : 'responder';
    const handshake = createResponder({ networkKey, nodeId: responderId });
    const sessions = createSessionStore();
    const app = createSyncApp({
      responder,
      handshake,
      sessions,
      nodeId: responderId,
      nodeName: responderId,
      logger: silentLogger,
      handshakeLimiter: createRateLimiter({ capacity: 100, refillPerSecond: 100 }),
      failureLimiter: createRateLimiter({ capacity: 5, refillPerSecond: 0.1 }),
      maxMessageBytes: 16 * 1024 * 1024,
    });
    const server = await listenSyncServer(app, { host: '127.0.0.1', port: 0 });
    const transport = new HttpSyncTransport({ url: server.url, networkKey, nodeId: requesterId, expectedPeerNodeId: responderId, streams });
    return {
      transport,
      close: async () => {
        transport.close();
        await server.close();
        sessions.dispose();
        handshake.dispose();
      },
    };
  },
});
