import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Scenario tests use real SQLite files, a real PostgreSQL server and child processes; CI
    // machines are shared and slow.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    globalSetup: ['./test/postgres-server.ts'],
  },
});
