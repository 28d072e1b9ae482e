#!/usr/bin/env node
// Runs the TypeScript sources directly, so `npm install` is the only step before use.
await import('./register-tsx.js');
// `start` sets up error tracking before anything else is imported. Already done when the
// process was started with `--import ./bin/instrument.js` (a module runs only once).
if (process.argv[2] === 'start') await import('./instrument.js');
await import('../src/cli/main.ts');
