// `node --import ./bin/instrument.js bin/flux-auth.js start`: sets up error tracking before the
// service is imported. Node runs --import modules in worker threads too; there it does nothing.
import { isMainThread } from 'node:worker_threads';

if (isMainThread) {
  await import('./register-tsx.js');
  await import('../src/monitoring/instrument.ts');
}
