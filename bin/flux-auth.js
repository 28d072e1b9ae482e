#!/usr/bin/env node
// Runs the TypeScript sources directly, so `npm install` is the only step before use.
import { availableParallelism } from 'node:os';

// Password hashes run on libuv's thread pool (4 threads by default), which JWT signing and
// file I/O share. Size it before anything uses it: room for one hash per CPU plus one queued,
// and spare threads so signing never waits behind hashing. An explicit setting wins.
process.env.UV_THREADPOOL_SIZE ??= String(Math.max(4, availableParallelism() + 3));

const { register } = await import('tsx/esm/api');
register();
await import('../src/cli/main.ts');
