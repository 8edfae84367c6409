import { defineConfig } from 'vite';

/**
 * The console is served by the node at `/console/`, so every asset URL starts there. The build
 * inlines nothing from the network: Preact is bundled, fonts are the system's.
 */
export default defineConfig({
  base: '/console/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Small enough to read in a browser's devtools when something goes wrong on a LAN.
    sourcemap: true,
    target: 'es2022',
  },
  server: {
    // `pnpm --filter @trosyn/console dev`: the API of a node running on :8000.
    proxy: { '/api': 'http://127.0.0.1:8000', '/v1': 'http://127.0.0.1:8000', '/health': 'http://127.0.0.1:8000' },
  },
});
