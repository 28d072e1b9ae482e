#!/usr/bin/env node
// One process whichever way it is started: the CLI runs in this process, never in a child, so
// SIGTERM and SIGINT reach the server itself.
// A development install (tsx present) runs the TypeScript sources, so `npm install` is the only
// step before use; a production install (`npm run build && npm prune --omit=dev`) has no tsx and
// runs the compiled dist/, with no TypeScript tooling loaded.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/cli/main.js', import.meta.url);
let register;
try {
  ({ register } = await import('tsx/esm/api'));
} catch {
  register = null;
}
if (register) {
  register();
  await import('../src/cli/main.ts');
} else if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  process.stderr.write(
    'flux-auth: neither tsx (development install) nor dist/ (production build) is present; run `npm install`, or `npm run build` before `npm prune --omit=dev`.\n',
  );
  process.exit(78);
}
