import { spawn } from 'node:child_process';
import { rmSync, mkdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { SyncEngine } from '@trosyn/sync-core';
import { deriveNetworkKey, MIN_PWHASH_MEM_LIMIT, MIN_PWHASH_OPS_LIMIT } from '@trosyn/crypto';
import { HttpSyncTransport } from '../dist/index.js';
const count = Number(process.argv[2] ?? 100000);
rmSync('/tmp/benchsync', { recursive: true, force: true }); mkdirSync('/tmp/benchsync');
const child = spawn(process.execPath, [...(process.env.PROF_A ? ['--cpu-prof', '--cpu-prof-dir=/tmp/profa'] : []), 'responder.mjs', '/tmp/benchsync/a.sqlite', String(count)], { stdio: ['pipe', 'pipe', 'inherit'] });
const { url } = JSON.parse(await new Promise((r) => createInterface({ input: child.stdout }).once('line', r)));
const engine = new SyncEngine({ database: '/tmp/benchsync/b.sqlite', nodeId: 'bench-b', pageMaxChanges: 1000, pageMaxBytes: 2 * 1024 * 1024 });
const networkKey = await deriveNetworkKey('bench secret xyz', { opsLimit: MIN_PWHASH_OPS_LIMIT, memLimit: MIN_PWHASH_MEM_LIMIT });
const transport = new HttpSyncTransport({ url, networkKey, nodeId: 'bench-b', expectedPeerNodeId: 'bench-a' });
await transport.connect();
let t = performance.now();
let reqMs = 0; const orig = transport.request.bind(transport); transport.request = async (m, o) => { const s = performance.now(); try { return await orig(m, o); } finally { reqMs += performance.now() - s; } };
const report = await engine.syncWith('bench-a', transport);
let ms = performance.now() - t; console.log('time inside transport.request', reqMs.toFixed(0));
console.log('initial', report.ok, report.pulled.changes, `${ms.toFixed(0)} ms`, `${Math.round(report.pulled.changes / ms * 1000)} items/s`, 'B rss', Math.round(process.memoryUsage().rss / 1e6));
// One changed item round
const lat = [];
for (let i = 0; i < 30; i++) {
  await engine.put({ id: `live-${i}`, type: 'bench', data: { n: i, filler: 'y'.repeat(1000) } });
  const before = transport.bytes;
  t = performance.now();
  const r = await engine.syncWith('bench-a', transport);
  lat.push(performance.now() - t);
  if (i === 29) console.log('one-change round bytes (bodies)', transport.bytes.sent - before.sent + transport.bytes.received - before.received, r.pushed.changes);
}
lat.sort((a, b) => a - b);
console.log('one-change round ms median', lat[15].toFixed(2), 'p90', lat[27].toFixed(2));
child.stdin.write('exit\n');
transport.close(); await engine.dispose();
