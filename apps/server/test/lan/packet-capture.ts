import { readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import type { Lan } from './netns-lan.js';
import { tcpdumpPath } from './required-tools.js';

/**
 * A `tcpdump` running in the LAN's bridge namespace on every interface (`-i any`): the bridge
 * ports, where every packet a host sends to another passes. Not `br0` itself: a bridge device
 * only sees frames for the bridge's own stack (and floods), not the unicast it forwards between
 * ports. Full packets go to a pcap file.
 */
export class PacketCapture {
  readonly file: string;
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  #stderr = '';

  private constructor(file: string, child: ChildProcess) {
    this.file = file;
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.stderr!.on('data', (chunk: Buffer) => (this.#stderr += chunk.toString('utf8')));
  }

  /**
   * Starts capturing `filter` (a pcap filter such as `tcp port 5000`) into `file`, and resolves
   * once tcpdump says it is listening.
   *
   * @throws {MissingToolError} without tcpdump.
   */
  static async start(lan: Lan, file: string, filter: string): Promise<PacketCapture> {
    // --immediate-mode: libpcap otherwise hands packets over from the kernel ring in timed blocks,
    // and a SIGINT soon after a fast sync dropped them (seen: 52 packets received by the filter,
    // 4 captured). -U: write each packet at once; -s 0: whole packets;
    // -Z root: keep the right to write the file (tcpdump drops to its own user by default).
    const child = lan.spawnInBridge(
      tcpdumpPath(),
      ['-i', 'any', '-n', '--immediate-mode', '-U', '-s', '0', '-Z', 'root', '-w', file, filter],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const capture = new PacketCapture(file, child);
    const deadline = Date.now() + 10_000;
    while (!capture.#stderr.includes('listening on')) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`tcpdump did not start: ${capture.#stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return capture;
  }

  /** Stops tcpdump (SIGINT flushes the file) and returns the pcap bytes and its packet count. */
  async stop(): Promise<{ readonly bytes: Buffer; readonly packets: number }> {
    // Let the last packets of the exchange reach tcpdump before it is told to stop.
    await new Promise((resolve) => setTimeout(resolve, 250));
    if (this.#child.exitCode === null) this.#child.kill('SIGINT');
    await this.#exited;
    const packets = Number(/(\d+) packets? captured/.exec(this.#stderr)?.[1] ?? Number.NaN);
    return { bytes: readFileSync(this.file), packets };
  }
}
