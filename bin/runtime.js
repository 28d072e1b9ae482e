// Which code runs: a development install (tsx present) runs the TypeScript sources, so
// `npm install` is the only step before use; a production install (`npm run build && npm prune
// --omit=dev`) has no tsx and runs the compiled dist/, with no TypeScript tooling loaded.
// A module runs once per process, so bin/flux-auth.js and `--import ./bin/instrument.js` share it.
import { existsSync } from 'node:fs';

let register = null;
try {
  ({ register } = await import('tsx/esm/api'));
} catch {
  register = null;
}
if (register) register();

/** URL of one module of the service (`cli/main`): its source, or its build in production. */
export function moduleUrl(path) {
  if (register) return new URL(`../src/${path}.ts`, import.meta.url).href;
  const compiled = new URL(`../dist/${path}.js`, import.meta.url);
  if (!existsSync(compiled)) {
    process.stderr.write(
      'flux-auth: neither tsx (development install) nor dist/ (production build) is present; run `npm install`, or `npm run build` before `npm prune --omit=dev`.\n',
    );
    process.exit(78);
  }
  return compiled.href;
}
