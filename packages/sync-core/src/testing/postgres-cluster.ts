import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A throwaway PostgreSQL cluster started by {@link startTestPostgres}. */
export interface TestPostgres {
  /** `postgres://trosyn@127.0.0.1:<port>/postgres` (trust authentication, loopback only). */
  readonly url: string;
  /** Stops the server and removes its files. */
  readonly stop: () => void;
}

/** The newest installed PostgreSQL's `bin` directory (Debian layout), if any. */
function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((version) => existsSync(join(root, version, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts a throwaway PostgreSQL cluster for tests, listening on 127.0.0.1 only, from the
 * binaries of Debian's `postgresql` package (`apt-get install -y postgresql`): `initdb` into a
 * temporary directory, `pg_ctl start` on a free port, durability off (it is thrown away). As
 * root it runs as the package's `postgres` user, since PostgreSQL refuses to run as root.
 * @returns `undefined` when PostgreSQL is not installed.
 */
export async function startTestPostgres(): Promise<TestPostgres | undefined> {
  const bin = postgresBin();
  if (bin === undefined) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'trosyn-pg-'));
  const asRoot = process.getuid?.() === 0;
  const run = (command: string, args: string[]): void => {
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, command), ...args]] : [join(bin, command), args];
    execFileSync(file, argv, { stdio: 'pipe', timeout: 120_000 });
  };
  try {
    if (asRoot) {
      execFileSync('chown', ['postgres:postgres', dir]);
      chmodSync(dir, 0o700);
    }
    const data = join(dir, 'data');
    run('initdb', ['-D', data, '-U', 'trosyn', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    const port = await freePort();
    const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
    run('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
    return {
      url: `postgres://trosyn@127.0.0.1:${port}/postgres`,
      stop: () => {
        try {
          run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
