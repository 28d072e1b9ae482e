// `npm run bench [-- name-filter ...]`: runs every bench in bench/ in sequence and prints
// each one's lines under a header. Benches print ratios against a baseline measured in the
// same run and never fail on timing: a missed target exits 0; a bench that throws exits 1.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

type BenchFn = () => Promise<string[]>;

interface Bench {
  readonly name: string;
  readonly file: string;
  readonly exportName: string;
}

const BENCH_DIR = import.meta.dirname;

/** Benches run first, in this order; any other `auth-*.ts` runs after them. */
const KNOWN: readonly Bench[] = [
  {
    name: 'login throughput',
    file: 'auth-login-throughput.ts',
    exportName: 'runLoginThroughputBench',
  },
  {
    name: '/health latency under load',
    file: 'auth-health-latency.ts',
    exportName: 'runHealthLatencyBench',
  },
  { name: 'detector precheck', file: 'detector-precheck.ts', exportName: 'runDetectorBench' },
  {
    name: 'detector over HTTP',
    file: 'detector-http.ts',
    exportName: 'runDetectorHttpBench',
  },
  {
    name: 'blocked-IP flood vs 404 and a bare 429',
    file: 'detector-http.ts',
    exportName: 'runBlockedFloodBench',
  },
];

async function benchesIn(file: string): Promise<Array<{ exportName: string; fn: BenchFn }>> {
  const mod = (await import(pathToFileURL(join(BENCH_DIR, file)).href)) as Record<string, unknown>;
  return Object.entries(mod)
    .filter(([key, value]) => /^run\w*Bench$/.test(key) && typeof value === 'function')
    .map(([exportName, fn]) => ({ exportName, fn: fn as BenchFn }));
}

async function main(): Promise<number> {
  const filters = process.argv.slice(2).map((f) => f.toLowerCase());
  const others = readdirSync(BENCH_DIR)
    .filter((f) => /^auth-.*\.ts$/.test(f) && !KNOWN.some((k) => k.file === f))
    .sort()
    .map((file) => ({ name: file.replace(/\.ts$/, ''), file, exportName: '' }));
  const selected = [...KNOWN, ...others].filter(
    (b) =>
      filters.length === 0 || filters.some((f) => `${b.name} ${b.file}`.toLowerCase().includes(f)),
  );
  let failures = 0;
  const started = performance.now();
  for (const bench of selected) {
    console.log(`\n=== ${bench.name} (bench/${bench.file}) ===`);
    if (!existsSync(join(BENCH_DIR, bench.file))) {
      console.log(`  skipped: bench/${bench.file} does not exist yet`);
      continue;
    }
    const benchStart = performance.now();
    try {
      const fns = (await benchesIn(bench.file)).filter(
        (f) => bench.exportName === '' || f.exportName === bench.exportName,
      );
      if (fns.length === 0) {
        const wanted = bench.exportName || 'run…Bench';
        console.log(`  skipped: bench/${bench.file} exports no ${wanted}() function`);
        continue;
      }
      for (const { fn } of fns) {
        for (const line of await fn()) console.log(line);
      }
    } catch (error) {
      failures++;
      console.log(
        `  FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
    }
    console.log(`  (${((performance.now() - benchStart) / 1000).toFixed(1)} s)`);
  }
  console.log(
    `\nbench done in ${((performance.now() - started) / 1000).toFixed(1)} s; ${failures} failed`,
  );
  return failures === 0 ? 0 : 1;
}

process.exit(await main());
