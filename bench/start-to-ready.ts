// `npm run build && node --import tsx bench/start-to-ready.ts [runs]`: how long from spawning
// `flux-auth start` until `GET /health` answers 200, from the TypeScript sources through tsx
// (development) and from dist/ (production), each with a fresh SQLite database. Prints the
// median and the range of each and their ratio; never fails on timing.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const RUNS = Number(process.argv[2] ?? 5);

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function startToReadyMs(entry: string): Promise<number> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'flux-ready-'));
  const started = performance.now();
  const child = spawn(process.execPath, [entry, 'start'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      DATA_DIR: dataDir,
      PORT: String(port),
      METRICS_PORT: 'off',
      LOG_LEVEL: 'warn',
    },
    stdio: 'ignore',
  });
  try {
    for (;;) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) return performance.now() - started;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}

async function measure(name: string, entry: string): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i += 1) times.push(await startToReadyMs(entry));
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] ?? 0;
  console.log(
    `${name.padEnd(34)} median ${median.toFixed(0)} ms  (min ${times[0]?.toFixed(0)}, max ${times.at(-1)?.toFixed(0)}, ${RUNS} runs)`,
  );
  return median;
}

if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) {
  console.error('run `npm run build` first');
  process.exit(1);
}
const viaTsx = await measure('tsx (node bin/flux-auth.js start)', 'bin/flux-auth.js');
const viaDist = await measure('dist (node dist/cli/main.js start)', 'dist/cli/main.js');
console.log(`dist starts in ${(viaDist / viaTsx).toFixed(2)}x the time of tsx`);
