/**
 * `@trosyn/sync-core/postgres`: the PostgreSQL store, for a hub node that keeps its replica in
 * an existing database. Needs the `pg` package (an optional peer dependency).
 * @packageDocumentation
 */
export { openPostgresStore, PostgresStore, type PostgresStoreOptions } from './store/postgres/postgres-store.js';
export { POSTGRES_SCHEMA_VERSION } from './store/postgres/schema.js';
