#!/usr/bin/env node
// One process whichever way it is started: the CLI runs in this process, never in a child, so
// SIGTERM and SIGINT reach the server itself.
import { moduleUrl } from './runtime.js';

// `start` sets up error tracking before the service is imported. Already done when the process
// was started with `--import ./bin/instrument.js` (a module runs only once).
if (process.argv[2] === 'start') await import('./instrument.js');
await import(moduleUrl('cli/main'));
