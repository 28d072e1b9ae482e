// `node --import ./bin/instrument.js bin/flux-auth.js start`: sets up error tracking before the
// service is imported. Node runs --import modules in worker threads too; there it does nothing.
import { isMainThread } from 'node:worker_threads';

if (isMainThread) {
  const { moduleUrl } = await import('./runtime.js');
  await import(moduleUrl('monitoring/instrument'));
}
