import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * The Debian tools the LAN tests use. A missing one fails the test that needs it with this
 * message: these scenarios must never pass by skipping what they check.
 */
export class MissingToolError extends Error {
  override readonly name = 'MissingToolError';
  constructor(tool: string, debianPackage: string, purpose: string) {
    super(`${tool} is not installed; the LAN tests need it to ${purpose}. Install it with \`apt-get install -y ${debianPackage}\` (.ci/run does).`);
  }
}

/** Absolute path of `command`, or `undefined`. */
function which(command: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Path of `tcpdump` (Debian package `tcpdump`). @throws {MissingToolError} */
export function tcpdumpPath(): string {
  const path = which('tcpdump');
  if (path === undefined) throw new MissingToolError('tcpdump', 'tcpdump', 'capture the sync traffic inside a namespace');
  return path;
}

// Where Debian's libfaketime package puts the library (multiarch triplets of the usual machines).
const libfaketimeCandidates = [
  '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/faketime/libfaketime.so.1',
];

/** Path of libfaketime (Debian package `faketime`, which pulls in `libfaketime`). @throws {MissingToolError} */
export function libfaketimePath(): string {
  const path = libfaketimeCandidates.find((candidate) => existsSync(candidate));
  if (path === undefined) throw new MissingToolError('libfaketime', 'faketime', 'run a node with a skewed clock');
  return path;
}
