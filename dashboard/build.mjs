// `npm install` (prepare) and `npm run build` build the dashboard with Vite into dashboard/dist.
// An install without dev dependencies (npm ci --omit=dev) has no Vite: it says so and goes on,
// and /admin then shows its "not built" notice instead of failing the install.
import { fileURLToPath } from 'node:url';

const configFile = fileURLToPath(new URL('./vite.config.ts', import.meta.url));
let vite;
try {
  vite = await import('vite');
} catch {
  console.warn('dashboard: not built (Vite is a dev dependency and is not installed here)');
  process.exit(0);
}
await vite.build({ configFile });
console.log('dashboard: built into dashboard/dist');
