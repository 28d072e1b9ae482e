import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// Served by the service at /admin: hashed file names under assets/ (cached as immutable), no
// inline script (the module preload polyfill would be one), nothing loaded from elsewhere.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/admin/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
    chunkSizeWarningLimit: 200,
  },
  logLevel: 'warn',
});
