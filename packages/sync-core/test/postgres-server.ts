// Vitest global setup: a throwaway PostgreSQL cluster on 127.0.0.1 for the PostgreSQL store's
// tests, from Debian's `postgresql` package (`.ci/run` installs it). Tests read its URL with
// `inject('postgresUrl')`; empty when there is no server (the PostgreSQL suites then skip,
// loudly; under CI a missing server fails instead). TROSYN_TEST_POSTGRES_URL uses a running
// server instead of starting one.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

function postgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
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

export default async function setup(project: TestProject): Promise<() => void> {
  const given = process.env.TROSYN_TEST_POSTGRES_URL;
  if (given !== undefined && given !== '') {
    project.provide('postgresUrl', given);
    return () => undefined;
  }
  const bin = postgresBin();
  if (bin === undefined) {
    if (process.env.CI !== undefined) throw new Error('PostgreSQL is not installed (apt-get install -y postgresql); .ci/run installs it');
    console.warn('\n*** PostgreSQL not installed: the PostgreSQL store suites are SKIPPED (apt-get install -y postgresql) ***\n');
    project.provide('postgresUrl', '');
    return () => undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'sync-core-pg-'));
  // PostgreSQL refuses to run as root: run the cluster as the package's `postgres` user then.
  const asRoot = process.getuid?.() === 0;
  const run = (command: string, args: string[]): void => {
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, command), ...args]] : [join(bin, command), args];
    execFileSync(file, argv, { stdio: 'pipe', timeout: 120_000 });
  };
  if (asRoot) {
    execFileSync('chown', ['postgres:postgres', dir]);
    chmodSync(dir, 0o700);
  }
  const data = join(dir, 'data');
  run('initdb', ['-D', data, '-U', 'trosyn', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  run('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
  project.provide('postgresUrl', `postgres://trosyn@127.0.0.1:${port}/postgres`);
  return () => {
    try {
      run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}
