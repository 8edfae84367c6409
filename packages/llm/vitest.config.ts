import { defineConfig } from 'vitest/config';

// Model-dependent tests load real GGUF files and time parallel decoding: run test files one
// at a time so they do not compete for the CPU (fileParallelism false).
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'scripts/**/*.test.ts', 'test/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
