import { SyncEngine } from '@trosyn/sync-core';
import { createRateLimiter, createResponder, createSessionStore, deriveNetworkKey, MIN_PWHASH_MEM_LIMIT, MIN_PWHASH_OPS_LIMIT } from '@trosyn/crypto';
import { createSyncApp, listenSyncServer, silentLogger } from '../dist/index.js';
const [file, count] = [process.argv[2], Number(process.argv[3])];
const engine = new SyncEngine({ database: file, nodeId: 'bench-a', pageMaxChanges: 1000, pageMaxBytes: 2 * 1024 * 1024 });
const filler = 'x'.repeat(1000);
for (let i = 0; i < count; i += 10000) await engine.putMany(Array.from({ length: Math.min(10000, count - i) }, (_, j) => ({ id: `item-${String(i + j).padStart(8, '0')}`, type: 'bench', data: { n: i + j, filler } })));
const networkKey = await deriveNetworkKey('bench secret xyz', { opsLimit: MIN_PWHASH_OPS_LIMIT, memLimit: MIN_PWHASH_MEM_LIMIT });
const app = createSyncApp({ responder: engine, handshake: createResponder({ networkKey, nodeId: 'bench-a' }), sessions: createSessionStore(), nodeId: 'bench-a', nodeName: 'a', logger: silentLogger,
  handshakeLimiter: createRateLimiter({ capacity: 100, refillPerSecond: 100 }), failureLimiter: createRateLimiter({ capacity: 5, refillPerSecond: 1 }), maxMessageBytes: 8 << 20 });
const server = await listenSyncServer(app, { host: '127.0.0.1', port: 0 });
process.stdout.write(JSON.stringify({ url: server.url }) + '\n');
setInterval(() => { const m = process.memoryUsage(); process.stderr.write(`A rss ${Math.round(m.rss / 1e6)} MB\n`); }, 1000).unref();
process.stdin.on('data', async (d) => { if (String(d).trim() === 'exit') { await server.close(); await engine.dispose(); process.exit(0); } });
