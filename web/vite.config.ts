import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

// Preact without a plugin: esbuild compiles JSX to preact/jsx-runtime.
export default defineConfig({
  root,
  base: '/',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The page's CSP allows no inline script or data: fonts: emit everything as files.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
  // `npx vite --config web/vite.config.ts` during development, with sipprotd on the default address.
  server: { proxy: { '/api': 'http://127.0.0.1:8040' } },
});
