// `node --import tsx bench/profile-login.ts`: runs a login load against a server started with
// --cpu-prof and prints where the server's main thread spends its CPU (self time by function,
// the hashing threads' profiles left aside): the per-login overhead outside argon2id.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAccounts, LoginLoad } from './lib/login-load.ts';
import { startSentrySink } from './lib/sentry-sink.ts';
import { startServer } from './lib/server.ts';
import { envNumber } from './lib/settings.ts';
import { sleep } from './lib/time.ts';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  readonly startTime: number;
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Self time (ms) per function of the main thread's profile in `dir` (thread id 0). */
function selfTimes(
  dir: string,
  window: { fromUs: number; toUs: number },
): { total: number; rows: Array<[string, number]>; byPackage: Array<[string, number]> } {
  // CPU.<date>.<time>.<pid>.<thread id>.<sequence>.cpuprofile
  const file = readdirSync(dir).find((f) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(f));
  if (file === undefined) throw new Error(`no main-thread profile in ${dir}`);
  const main = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile;
  const byId = new Map(main.nodes.map((n) => [n.id, n]));
  const totals = new Map<string, number>();
  const packages = new Map<string, number>();
  let total = 0;
  let at = main.startTime;
  main.samples.forEach((id, i) => {
    at += main.timeDeltas[i] ?? 0;
    const frame = byId.get(id)?.callFrame;
    const ms = (main.timeDeltas[i] ?? 0) / 1000;
    // Only the measured slice: start-up (module loading, dictionaries) and signups are not logins.
    if (at < window.fromUs || at > window.toUs) return;
    if (!frame || frame.functionName === '(idle)') return;
    const where = frame.url.replace(/^.*node_modules\//, '').replace(/^.*\/src\//, 'src/');
    const key = `${frame.functionName || '(anonymous)'} ${where}:${frame.lineNumber + 1}`;
    totals.set(key, (totals.get(key) ?? 0) + ms);
    const pkg = packageOf(frame.url);
    packages.set(pkg, (packages.get(pkg) ?? 0) + ms);
    total += ms;
  });
  const sorted = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1]);
  return { total, rows: sorted(totals), byPackage: sorted(packages) };
}

/** `@scope/name` or `name` of a node_modules frame, `src/<dir>` of ours, else the URL's kind. */
function packageOf(url: string): string {
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (inModules?.[1] !== undefined) return inModules[1];
  const ours = /\/src\/([^/]+)/.exec(url);
  if (ours?.[1] !== undefined) return `src/${ours[1]}`;
  if (url.startsWith('node:')) return 'node:*';
  return url === '' ? '(native/gc)' : url;
}

const dir = mkdtempSync(join(tmpdir(), 'flux-prof-'));
// BENCH_PROFILE_SENTRY=1: Sentry on at production sampling, envelopes to a local sink.
const sink = process.env.BENCH_PROFILE_SENTRY === '1' ? await startSentrySink() : null;
const server = await startServer({
  nodeArgs: ['--import', './bin/instrument.js', '--cpu-prof', `--cpu-prof-dir=${dir}`],
  env:
    sink === null
      ? {}
      : {
          SENTRY_DSN: sink.dsn,
          SENTRY_ENVIRONMENT: 'production',
          SENTRY_TRACES_SAMPLE_RATE: '0.1',
        },
});
const accounts = await createAccounts(server.baseUrl, 16, 3);
const load = await LoginLoad.start({
  baseUrl: server.baseUrl,
  accounts,
  concurrency: 16,
  addressBlock: 1,
});
// The profile's clock is the server's monotonic clock, as is ours (same machine, hrtime).
await load.measureOn();
const fromUs = Number(process.hrtime.bigint() / 1000n);
await sleep(envNumber('BENCH_PROFILE_SECONDS', 15) * 1000);
const toUs = Number(process.hrtime.bigint() / 1000n);
const slice = await load.measureOff();
await load.close();
await server.stop();
await sink?.close();
const { total, rows, byPackage } = selfTimes(dir, { fromUs, toUs });
const logins = slice?.ok ?? 0;
console.log(
  `${logins} logins; main thread busy ${total.toFixed(0)} ms (${(total / Math.max(1, logins)).toFixed(2)} ms per login); profiles in ${dir}`,
);
for (const [name, ms] of byPackage.slice(0, 15)) {
  console.log(`  ${(ms / Math.max(1, logins)).toFixed(3)} ms/login  [${name}]`);
}
for (const [name, ms] of rows.slice(0, 40)) {
  console.log(`  ${(ms / Math.max(1, logins)).toFixed(3)} ms/login  ${name}`);
}
