import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { gzipBudget } from './scripts/gzip-budget.ts';

/** The dashboard, built to static files the API serves under /ui (same origin: no CORS). */
export default defineConfig({
  base: '/ui/',
  plugins: [react(), gzipBudget({ maxBytes: 250 * 1024 })],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The strict CSP of /ui allows no inline script, so nothing is inlined into index.html.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
  server: { proxy: { '^/(jobs|tasks|nodes|queues|streams|scheduled-jobs|health)': 'http://127.0.0.1:3000' } },
});
