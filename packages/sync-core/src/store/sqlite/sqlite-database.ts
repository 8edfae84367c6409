/**
 * The subset of a better-sqlite3 `Database` this package calls. Declared here so consumers need
 * no better-sqlite3 type package and tests can pass any compatible handle.
 */
export interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): unknown;
  pragma(source: string, options?: { simple?: boolean }): unknown;
  // Only argument-less transactions are used. Declared so that better-sqlite3's own typings
  // (a callable `Transaction<F>` with .deferred/.immediate, not F itself) are assignable to it.
  transaction<T>(fn: () => T): () => T;
  close(): unknown;
  readonly open: boolean;
  readonly inTransaction: boolean;
  readonly name: string;
  readonly memory: boolean;
}

/** The subset of a better-sqlite3 `Statement` this package calls. */
export interface SqliteStatement {
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  iterate(...params: unknown[]): IterableIterator<unknown>;
  // better-sqlite3's `reader` tells a SELECT from a write.
  readonly reader: boolean;
}
