import { inject } from 'vitest';
import { openPostgresStore, type PostgresStore } from '../src/postgres.js';

/** The throwaway test server's URL (see postgres-server.ts); empty when there is none. */
export const postgresUrl: string = inject('postgresUrl');

let schemas = 0;

/** A fresh schema name, unique across the test workers of one run. */
export function freshSchema(): string {
  return `t${process.pid}_${++schemas}`;
}

/** Opens a store in a fresh schema of the test server. */
export function openFreshPostgresStore(schema = freshSchema()): Promise<PostgresStore> {
  return openPostgresStore({ connectionString: postgresUrl, schema, readConnections: 2 });
}
