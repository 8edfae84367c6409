// Vitest global setup: a throwaway PostgreSQL cluster on 127.0.0.1 for the PostgreSQL store's
// tests, from Debian's `postgresql` package (`.ci/run` installs it). Tests read its URL with
// `inject('postgresUrl')`; empty when there is no server (the PostgreSQL suites then skip,
// loudly; under CI a missing server fails instead). TROSYN_TEST_POSTGRES_URL uses a running
// server instead of starting one.
import type { TestProject } from 'vitest/node';
import { startTestPostgres } from '../src/testing/postgres-cluster.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const given = process.env.TROSYN_TEST_POSTGRES_URL;
  if (given !== undefined && given !== '') {
    project.provide('postgresUrl', given);
    return () => undefined;
  }
  const server = await startTestPostgres();
  if (server === undefined) {
    if (process.env.CI !== undefined) throw new Error('PostgreSQL is not installed (apt-get install -y postgresql); .ci/run installs it');
    console.warn('\n*** PostgreSQL not installed: the PostgreSQL store suites are SKIPPED (apt-get install -y postgresql) ***\n');
    project.provide('postgresUrl', '');
    return () => undefined;
  }
  project.provide('postgresUrl', server.url);
  return server.stop;
}
