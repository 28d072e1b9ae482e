// `node --import tsx bench/profile-login.ts`: runs a login load against a server started with
// --cpu-prof and prints where the server's main thread spends its CPU (self time by function,
// the hashing threads' profiles left aside): the per-login overhead outside argon2id.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAccounts, LoginLoad } from './lib/login-load.ts';
import { startServer } from './lib/server.ts';
import { envNumber } from './lib/settings.ts';
import { sleep } from './lib/time.ts';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Self time (ms) per function of the largest profile in `dir` (the main thread's). */
function selfTimes(dir: string): { total: number; rows: Array<[string, number]> } {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  const profiles = files.map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Profile);
  const main = profiles.sort((a, b) => b.samples.length - a.samples.length)[0];
  if (main === undefined) throw new Error(`no profile in ${dir}`);
  const byId = new Map(main.nodes.map((n) => [n.id, n]));
  const totals = new Map<string, number>();
  let total = 0;
  main.samples.forEach((id, i) => {
    const frame = byId.get(id)?.callFrame;
    const ms = (main.timeDeltas[i] ?? 0) / 1000;
    if (!frame || frame.functionName === '(idle)') return;
    const where = frame.url.replace(/^.*node_modules\//, '').replace(/^.*\/src\//, 'src/');
    const key = `${frame.functionName || '(anonymous)'} ${where}:${frame.lineNumber + 1}`;
    totals.set(key, (totals.get(key) ?? 0) + ms);
    total += ms;
  });
  return { total, rows: [...totals].sort((a, b) => b[1] - a[1]) };
}

const dir = mkdtempSync(join(tmpdir(), 'flux-prof-'));
const server = await startServer({ nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
const accounts = await createAccounts(server.baseUrl, 16, 3);
const load = await LoginLoad.start({
  baseUrl: server.baseUrl,
  accounts,
  concurrency: 16,
  addressBlock: 1,
});
await load.measureOn();
await sleep(envNumber('BENCH_PROFILE_SECONDS', 15) * 1000);
const slice = await load.measureOff();
await load.close();
await server.stop();
const { total, rows } = selfTimes(dir);
const logins = slice?.ok ?? 0;
console.log(
  `${logins} logins; main thread busy ${total.toFixed(0)} ms (${(total / Math.max(1, logins)).toFixed(2)} ms per login); profiles in ${dir}`,
);
for (const [name, ms] of rows.slice(0, 25)) {
  console.log(`  ${(ms / Math.max(1, logins)).toFixed(3)} ms/login  ${name}`);
}
