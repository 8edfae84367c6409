// `pnpm --filter @trosyn/server bench:model-transfer` (after `pnpm build`): a model file sent
// from one process to another over the sealed peer channel (handshake, AES-256-GCM sealed
// frames on the sync stream, 4 MiB chunks written to disk, the whole file's sha256 checked)
// against a plain TCP copy of the same file between the same two processes (no encryption, no
// checks, streamed to disk). Prints MB/s side by side, the ratio (target ≥ 70 %), the CPU time
// each process spent on each run (less sensitive to a loaded machine than the wall time), and of
// its main thread alone (the fetcher's whole-file hash, file writes and parts of the garbage
// collection run on other threads, which have a core to themselves on a quiet machine), the
// major garbage collections of each run, and each process's peak RSS; asserts nothing. The
// giver's node id is learnt once before the first timed run (a node knows its peers before it
// fetches); each sealed run's own handshake is timed. 127.0.0.1 only; every process started here is
// stopped. With NODE_OPTIONS=--cpu-prof both processes write a CPU profile (they exit cleanly).
//
//   BENCH_MODEL_FILE   the file (default: the 178 MB synthetic Gemma 3 270M of the test models)
//   BENCH_MODEL_RUNS   alternating runs of each (default 2)
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { constants as perfConstants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import type * as ServerModule from '../src/index.js';

const serverDir = path.resolve(import.meta.dirname, '..');
const { isModelShareRequest, LanSyncService, MODEL_CHUNK_BYTES, ModelFetcher, ModelShareServer, parseConfig, silentLogger } = (await import(path.join(serverDir, 'dist', 'index.js'))) as typeof ServerModule;
type ModelShareServer = ServerModule.ModelShareServer;
const modelsDir = process.env['TROSYN_TEST_MODELS_DIR'] ?? path.resolve(serverDir, '../../../shared/models');
const FILE = process.env['BENCH_MODEL_FILE'] ?? path.join(modelsDir, 'synthetic-gemma3-270m-q4_k_m.gguf');
const RUNS = Number(process.env['BENCH_MODEL_RUNS'] ?? 2);
const TIMEOUT_MS = 5 * 60_000;

type Message = Record<string, unknown> & { readonly type: string };

function lanSettings(role: string, secret: string, dir: string) {
  return parseConfig(
    { LAN_SYNC_PORT: '0', LAN_SYNC_HOST: '127.0.0.1', LAN_SYNC_MDNS: 'false', LAN_SYNC_SHARED_SECRET: secret, LAN_SYNC_NODE_NAME: role, LAN_SYNC_INTERVAL: '3600' },
    { baseDir: dir, hostname: role },
  ).lanSync;
}

const peakRssMb = (): number => Math.round(process.resourceUsage().maxRSS / 1024);
const rssMb = (): number => Math.round(process.memoryUsage.rss() / 1048576);
// CPU seconds (user + system) this process has used: the cost of a transfer, less sensitive to the machine's load than its time.
const cpuSeconds = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};
// The same for the main thread alone: what bounds a transfer when other threads have a core of their own.
const mainThreadCpuSeconds = (): number => {
  const { user, system } = process.threadCpuUsage();
  return (user + system) / 1e6;
};

// Major (mark-compact) garbage collections of this process so far, and their main-thread time:
// a transfer that keeps many buffers alive for long makes V8 collect its whole heap again and again.
const majorGcs = { count: 0, ms: 0 };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (((entry as PerformanceEntry & { detail?: { kind?: number } }).detail)?.kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) {
      majorGcs.count += 1;
      majorGcs.ms += entry.duration;
    }
  }
}).observe({ entryTypes: ['gc'] });

// The giver: a sync port answering model requests for FILE, and a plain TCP port sending FILE.
async function giver(secret: string, dir: string): Promise<void> {
  const share = new ModelShareServer({ modelPath: FILE, nodeName: 'giver', enabled: true, maxBytesPerSecond: undefined, logger: silentLogger });
  const sync = await LanSyncService.start({
    settings: lanSettings('giver', secret, dir), dataDir: dir, logger: silentLogger,
    peerRequests: { handles: isModelShareRequest, answer: (request, peerId) => share.answer(request as Parameters<ModelShareServer['answer']>[0], peerId) },
  });
  const tcp = net.createServer((socket) => void pipeline(createReadStream(FILE), socket).catch(() => undefined));
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  const baseline = rssMb();
  process.on('message', (message: Message) => {
    if (message.type === 'rss') process.send!({ type: 'rss', baseline, peak: peakRssMb() });
    if (message.type === 'cpu') process.send!({ type: 'cpu', seconds: cpuSeconds(), main: mainThreadCpuSeconds(), gcs: majorGcs.count });
  });
  process.send!({ type: 'ready', syncPort: sync.syncPort, tcpPort: (tcp.address() as net.AddressInfo).port });
}

// The fetcher: runs each transfer when told, reports time and peak RSS.
async function fetcher(secret: string, dir: string): Promise<void> {
  const sync = await LanSyncService.start({ settings: lanSettings('fetcher', secret, dir), dataDir: dir, logger: silentLogger });
  const baseline = rssMb();
  let giverNodeId: string | undefined;
  process.on('message', (message: Message) => {
    void (async () => {
      const target = path.join(dir, `copy-${String(message['run'])}.gguf`);
      const address = `127.0.0.1:${String(message['syncPort'])}`;
      // The giver's node id, learnt once by a handshake of its own, untimed: a node learns it
      // from discovery and its sync rounds before it ever fetches a model. The transfer's own
      // channel (and handshake) is timed.
      if (message.type === 'sealed' && giverNodeId === undefined) {
        const probe = sync.openPeerChannel(address, undefined)!;
        giverNodeId = await probe.connect();
        probe.close();
      }
      const started = performance.now();
      const cpuBefore = cpuSeconds();
      const mainBefore = mainThreadCpuSeconds();
      const gcsBefore = majorGcs.count;
      if (message.type === 'sealed') {
        const nodeId = giverNodeId!;
        const fetcher = new ModelFetcher({ peers: () => [{ nodeId, name: 'giver', address }], openChannel: (peer) => sync.openPeerChannel(peer.address, peer.nodeId)!, logger: silentLogger });
        const context = { signal: new AbortController().signal, report: () => undefined, onDownloadProgress: () => undefined };
        // The file name is the giver's: ask for the same name in a folder of this run.
        const runDir = mkdtempSync(path.join(dir, 'run-'));
        const ok = await fetcher.fetch(path.join(runDir, path.basename(FILE)), context, () => undefined);
        if (!ok) throw new Error('the sealed transfer did not complete');
        rmSync(runDir, { recursive: true, force: true });
      } else {
        const socket = net.connect(Number(message['tcpPort']), '127.0.0.1');
        await pipeline(socket, createWriteStream(target));
        rmSync(target, { force: true });
      }
      const seconds = (performance.now() - started) / 1000;
      process.send!({ type: 'done', seconds, cpu: cpuSeconds() - cpuBefore, mainCpu: mainThreadCpuSeconds() - mainBefore, gcs: majorGcs.count - gcsBefore, baseline, peak: peakRssMb() });
    })().catch((error: unknown) => process.send!({ type: 'error', message: error instanceof Error ? error.message : String(error) }));
  });
  process.send!({ type: 'ready' });
}

function next(child: ChildProcess, type: string): Promise<Message> {
  return new Promise((resolve, reject) => {
    // Both listeners go once the awaited message arrives: one per awaited message would pile up.
    const onExit = (code: number | null): void => reject(new Error(`a benchmark process exited (${code})`));
    const onMessage = (message: Message): void => {
      if (message.type === 'error') reject(new Error(String(message['message'])));
      else if (message.type === type) {
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(message);
      }
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

async function main(): Promise<void> {
  const role = process.argv[2];
  if (role === 'giver' || role === 'fetcher') {
    // A clean exit when told (a --cpu-prof profile is written only then); SIGKILL otherwise.
    process.on('message', (message: Message) => {
      if (message.type === 'exit') process.exit(0);
    });
    await (role === 'giver' ? giver : fetcher)(process.argv[3]!, process.argv[4]!);
    return;
  }
  if (!existsSync(FILE)) throw new Error(`${FILE} is missing: set BENCH_MODEL_FILE or TROSYN_TEST_MODELS_DIR.`);
  const size = statSync(FILE).size;
  const secret = `bench-${randomBytes(16).toString('hex')}`;
  const root = mkdtempSync(path.join(tmpdir(), 'trosyn-bench-model-'));
  const children: ChildProcess[] = [];
  const deadline = setTimeout(() => {
    process.stderr.write('model transfer benchmark: timed out\n');
    for (const child of children) child.kill('SIGKILL');
    process.exit(1);
  }, TIMEOUT_MS);
  try {
    const start = (name: string): ChildProcess => {
      const dir = path.join(root, name);
      // One libuv pool thread unless told otherwise, as a node runs (src/threadpool-size.ts).
      const env = { ...process.env, UV_THREADPOOL_SIZE: process.env['UV_THREADPOOL_SIZE'] ?? '1' };
      const child = fork(import.meta.filename, [name, secret, dir], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env });
      children.push(child);
      return child;
    };
    const giverProcess = start('giver');
    const fetcherProcess = start('fetcher');
    const [ports] = await Promise.all([next(giverProcess, 'ready'), next(fetcherProcess, 'ready')]);
    const results: { kind: 'sealed' | 'tcp'; seconds: number; cpu: number; mainCpu: number; gcs: number; giverCpu: number; giverMainCpu: number; giverGcs: number; peak: number; baseline: number }[] = [];
    const giverCpu = async (): Promise<{ all: number; main: number; gcs: number }> => {
      const answer = next(giverProcess, 'cpu');
      giverProcess.send({ type: 'cpu' });
      const { seconds, main, gcs } = await answer;
      return { all: Number(seconds), main: Number(main), gcs: Number(gcs) };
    };
    for (let run = 0; run < RUNS; run += 1) {
      for (const kind of ['sealed', 'tcp'] as const) {
        const giverBefore = await giverCpu();
        const done = next(fetcherProcess, 'done');
        fetcherProcess.send({ ...ports, type: kind, run });
        const answer = await done;
        const giverAfter = await giverCpu();
        results.push({ kind, seconds: Number(answer['seconds']), cpu: Number(answer['cpu']), mainCpu: Number(answer['mainCpu']), gcs: Number(answer['gcs']), giverCpu: giverAfter.all - giverBefore.all, giverMainCpu: giverAfter.main - giverBefore.main, giverGcs: giverAfter.gcs - giverBefore.gcs, peak: Number(answer['peak']), baseline: Number(answer['baseline']) });
      }
    }
    const giverRss = await (async () => {
      const answer = next(giverProcess, 'rss');
      giverProcess.send({ type: 'rss' });
      return answer;
    })();
    const mbps = (seconds: number): number => size / 1e6 / seconds;
    const best = (kind: 'sealed' | 'tcp'): number => Math.max(...results.filter((r) => r.kind === kind).map((r) => mbps(r.seconds)));
    process.stdout.write(`\nModel transfer between two processes on 127.0.0.1: ${path.basename(FILE)}, ${(size / 1e6).toFixed(1)} MB, ${RUNS} alternating runs each\n`);
    for (const result of results) {
      const cpu = `CPU s: fetcher ${result.cpu.toFixed(2)} (main thread ${result.mainCpu.toFixed(2)}, ${result.gcs} major GCs), giver ${result.giverCpu.toFixed(2)} (${result.giverMainCpu.toFixed(2)}, ${result.giverGcs})`;
      process.stdout.write(`  ${result.kind.padEnd(6)} ${mbps(result.seconds).toFixed(1).padStart(7)} MB/s  (${result.seconds.toFixed(2)} s; ${cpu})\n`);
    }
    process.stdout.write(`  best: sealed peer channel ${best('sealed').toFixed(1)} MB/s vs plain TCP ${best('tcp').toFixed(1)} MB/s = ${((best('sealed') / best('tcp')) * 100).toFixed(0)} % (target ≥ 70 %)\n`);
    const sealedPeak = Math.max(...results.filter((r) => r.kind === 'sealed').map((r) => r.peak));
    process.stdout.write(`  peak RSS: fetcher ${sealedPeak} MB after the sealed runs (${results[0]!.baseline} MB at rest), giver ${String(giverRss['peak'])} MB (${String(giverRss['baseline'])} MB at rest); file ${(size / 1048576).toFixed(0)} MiB, chunk ${MODEL_CHUNK_BYTES / 1048576} MiB\n`);
  } finally {
    clearTimeout(deadline);
    const exited = children.map((child) => new Promise((resolve) => {
      child.once('exit', resolve);
      child.send({ type: 'exit' });
    }));
    await Promise.race([Promise.all(exited), new Promise((resolve) => setTimeout(resolve, 5000))]);
    for (const child of children) child.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
