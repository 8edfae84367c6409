import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Scenario tests use real SQLite files and child processes; CI machines are shared and slow.
    testTimeout: 30_000,
  },
});
