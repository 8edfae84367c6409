// Benchmark of @trosyn/crypto, run against the built package (`pnpm --filter @trosyn/crypto bench`).
// Prints figures measured side by side in one run; asserts nothing about speed.
//
// The bench script sets MALLOC_TRIM_THRESHOLD_ and MALLOC_TOP_PAD_ (glibc): without them, a loop
// that allocates and frees 64 KB buffers and little else (the raw baseline) made glibc shrink and
// regrow the heap on every call, and the page faults made raw node:crypto measure 3x *slower* than
// Session (44 % system time). With them, both variants see the same, steady allocator.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import {
  createInitiator,
  createResponder,
  deriveNetworkKey,
  DEFAULT_PWHASH_MEM_LIMIT,
  DEFAULT_PWHASH_OPS_LIMIT,
  type NetworkKey,
  type Session,
} from '@trosyn/crypto';

const wire = (message: unknown): unknown => JSON.parse(JSON.stringify(message));

/** CPU time (user + system) of this process so far, in milliseconds. */
function cpuNow(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/**
 * Runs `fn` repeatedly for about `ms` milliseconds of CPU time after a short warm-up; returns CPU
 * milliseconds per call. CPU time, not wall time: benchmarks here share the machine with other
 * work, and wall time would measure the scheduler as much as the code.
 */
function timePerCall(fn: () => void, ms: number, minCalls = 5): number {
  const warmUpEnd = cpuNow() + Math.min(200, ms / 5);
  while (cpuNow() < warmUpEnd) fn();
  let calls = 0;
  const start = cpuNow();
  let elapsed = 0;
  while (elapsed < ms || calls < minCalls) {
    fn();
    calls += 1;
    elapsed = cpuNow() - start;
  }
  return elapsed / calls;
}

/** Like {@link timePerCall}, split into user and system CPU milliseconds per call. */
function cpuPerCall(fn: () => void, ms: number): { readonly total: number; readonly user: number } {
  timePerCall(fn, Math.min(200, ms / 5), 1); // warm-up
  const before = process.cpuUsage();
  let calls = 0;
  let used = { user: 0, system: 0 };
  while (calls < 5 || (used.user + used.system) / 1000 < ms) {
    fn();
    calls += 1;
    used = process.cpuUsage(before);
  }
  return { total: (used.user + used.system) / 1000 / calls, user: used.user / 1000 / calls };
}

function handshake(networkKey: NetworkKey, responder: ReturnType<typeof createResponder>): Session[] {
  const initiator = createInitiator({ networkKey, nodeId: 'bench-a' });
  const challenge = responder.handleHello(wire(initiator.hello()));
  const proof = initiator.handleChallenge(wire(challenge));
  const { confirm, session } = responder.handleProof(wire(proof));
  return [initiator.handleConfirm(wire(confirm)), session];
}

const fmt = (value: number, digits = 2): string => value.toFixed(digits);

/** A full GC when node runs with --expose-gc (the bench script does); otherwise nothing. */
function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

console.log(`@trosyn/crypto benchmark — node ${process.version}, ${process.arch}; all times are CPU time of this process`);
console.log('');

// 1. Network key: Argon2id with the default cost, once per process in real use.
const pwhashRuns: number[] = [];
let networkKey: NetworkKey | undefined;
for (let i = 0; i < 3; i += 1) {
  const start = cpuNow();
  networkKey?.dispose();
  networkKey = await deriveNetworkKey('benchmark shared secret, long and random enough');
  pwhashRuns.push(cpuNow() - start);
}
const pwhashMs = Math.min(...pwhashRuns.slice(1)); // the first run also loads libsodium
console.log(`deriveNetworkKey (Argon2id, ops=${DEFAULT_PWHASH_OPS_LIMIT}, mem=${DEFAULT_PWHASH_MEM_LIMIT / 1024 / 1024} MiB): ${fmt(pwhashMs, 1)} ms (first call incl. libsodium load: ${fmt(pwhashRuns[0]!, 1)} ms)`);

// 2. Handshake: four messages through JSON, both sides in-process, network key already derived.
const key = networkKey!;
const responder = createResponder({ networkKey: key, nodeId: 'bench-b', maxPendingHandshakes: 1_000_000 });
const handshakeMs = timePerCall(() => {
  for (const session of handshake(key, responder)) session.dispose();
}, 2_000);
responder.purgeExpired();
console.log(`handshake (both sides, 4 JSON messages), key derived once:       ${fmt(handshakeMs, 3)} ms  (${fmt(1000 / handshakeMs, 0)} handshakes/s)`);
console.log(`handshake incl. one Argon2id per side (cold start of two nodes): ${fmt(handshakeMs + 2 * pwhashMs, 1)} ms  (pwhash is ${fmt((2 * pwhashMs) / (handshakeMs + 2 * pwhashMs) * 100, 1)} % of it)`);
console.log('');

// 3. Seal + open throughput next to raw node:crypto AES-256-GCM, the ceiling.
const [sender, receiver] = handshake(key, createResponder({ networkKey: key, nodeId: 'bench-b' })) as [Session, Session];
const rawKey = randomBytes(32);
const rawAad = randomBytes(64);

/** GCM encryption with node:crypto and nothing else: no header encoding, no base64, no checks. */
function rawEncrypt(plaintext: Buffer, iv: Buffer): { ciphertext: Buffer; tag: Buffer } {
  const cipher = createCipheriv('aes-256-gcm', rawKey, iv, { authTagLength: 16 });
  cipher.setAAD(rawAad);
  const ciphertext = cipher.update(plaintext);
  cipher.final();
  return { ciphertext, tag: cipher.getAuthTag() };
}

function rawDecrypt(ciphertext: Buffer, tag: Buffer, iv: Buffer): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', rawKey, iv, { authTagLength: 16 });
  decipher.setAuthTag(tag);
  decipher.setAAD(rawAad);
  const plaintext = decipher.update(ciphertext);
  decipher.final();
  return plaintext;
}

/** Keeps the last 32 results of every variant alive, so each variant frees memory in the same pattern. */
const retained: unknown[] = new Array<unknown>(32);
let retainedAt = 0;
function retain(value: unknown): void {
  retained[(retainedAt += 1) & 31] = value;
}

/** A copy of `bytes` starting `offset` bytes into a fresh allocation. */
function at(bytes: Buffer, offset: number): Buffer {
  const out = Buffer.alloc(bytes.length + offset).subarray(offset);
  bytes.copy(out);
  return out;
}

interface Figures {
  readonly median: number;
  readonly best: number;
  readonly systemShare: number;
}

/**
 * Times several variants side by side: 15 rounds, each running every variant for 120 ms of CPU
 * time in turn, so load from other processes hits all variants alike. Per variant: median and
 * best CPU ms per call, and the share of system time.
 */
function interleaved(variants: Record<string, () => void>, rounds = 15, sliceMs = 120): Record<string, Figures> {
  // A discarded first pass, so no variant is measured while its code and buffers are still cold.
  for (const fn of Object.values(variants)) timePerCall(fn, 300);
  const samples: Record<string, { total: number; user: number }[]> = {};
  for (const name of Object.keys(variants)) samples[name] = [];
  for (let round = 0; round < rounds; round += 1) {
    for (const [name, fn] of Object.entries(variants)) {
      // Collect the previous slice's garbage first, so no variant pays for another's.
      collectGarbage();
      samples[name]!.push(cpuPerCall(fn, sliceMs));
    }
  }
  const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const out: Record<string, Figures> = {};
  for (const [name, values] of Object.entries(samples)) {
    const totals = values.map((v) => v.total);
    const users = values.map((v) => v.user);
    const sumTotal = totals.reduce((a, b) => a + b, 0);
    const sumUser = users.reduce((a, b) => a + b, 0);
    out[name] = { median: median(totals), best: Math.min(...totals), systemShare: 1 - sumUser / sumTotal };
  }
  return out;
}

console.log('seal+open throughput: plaintext MB/s per CPU second, median of 15 interleaved rounds [best] (system-time share)');
console.log('size  | Session                  | Session + JSON           | raw node:crypto GCM      | Session / raw');
console.log('------|--------------------------|--------------------------|--------------------------|----------------------');
for (const size of [1024, 64 * 1024]) {
  // Eight copies of the message at different offsets, cycled through by every variant. OpenSSL's
  // GCM loop slowed down 2-4x here when input and output buffers sat at the same offset modulo
  // 4096 (4K aliasing); cycling averages where the allocator happens to put buffers.
  const message = randomBytes(size);
  const copies = Array.from({ length: 8 }, (_, i) => at(message, 16 + i * 528));
  // Raw decrypts messages prepared up front (one per copy), the same way.
  const preparedIv = Buffer.alloc(12);
  const prepared = copies.map((copy, i) => {
    const { ciphertext, tag } = rawEncrypt(copy, preparedIv);
    return { ciphertext: at(ciphertext, 48 + i * 528), tag };
  });
  const ad = 'POST /sync/push';
  let counter = 0;
  let turn = 0;
  const result = interleaved({
    session: () => {
      retain(receiver.open(sender.seal(copies[(turn += 1) & 7]!, ad)));
    },
    json: () => {
      retain(receiver.open(JSON.parse(JSON.stringify(sender.seal(copies[(turn += 1) & 7]!, ad)))));
    },
    raw: () => {
      const index = (turn += 1) & 7;
      const iv = Buffer.allocUnsafe(12);
      iv.writeUInt32BE(0, 0);
      iv.writeUInt32BE(0, 4);
      iv.writeUInt32BE((counter += 1), 8);
      retain(rawEncrypt(copies[index]!, iv));
      retain(rawDecrypt(prepared[index]!.ciphertext, prepared[index]!.tag, preparedIv));
    },
  });
  const mbps = (ms: number): string => fmt(size / 1e6 / (ms / 1000), 0);
  const cell = (name: string): string => {
    const figures = result[name]!;
    return `${mbps(figures.median)} [${mbps(figures.best)}] (${fmt(figures.systemShare * 100, 0)} % sys)`.padEnd(24);
  };
  console.log(`${`${size / 1024} KB`.padEnd(5)} | ${cell('session')} | ${cell('json')} | ${cell('raw')} | ${fmt(result['raw']!.median / result['session']!.median, 2)}`);
}
console.log('');
console.log('One call = one seal plus one open. Target for 64 KB: >= 300 MB/s. "+ JSON" adds the JSON.stringify/JSON.parse');
console.log('an HTTP body costs; raw GCM (the ceiling) has no header, no base64 and no replay checks.');
sender.dispose();
receiver.dispose();
key.dispose();
