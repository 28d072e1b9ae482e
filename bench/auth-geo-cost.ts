import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDetector, DEFAULT_POLICY, type Detector } from '../src/detection/index.ts';
import { SecurityEventBus } from '../src/events/index.ts';
import { GeoLookup } from '../src/geo/index.ts';
import { MemoryCounterStore } from '../src/store/index.ts';
import { cityRecord, writeMmdb } from '../test/helpers/mmdb-writer.ts';
import { loginPathLines } from './lib/geo-login-path.ts';
import { fmt } from './lib/stats.ts';

/** Target: the login path with geo on at least this share of its speed with geo off. */
export const GEO_RATIO_TARGET = 0.95;
const ROUNDS = 20;
const ROUND_LOGINS = 4000;
const ACCOUNTS = 1000;
const FIRST_OCTETS = [1, 5, 8, 41, 81, 133, 151, 185, 200, 213];

/**
 * The login path with GeoIP on against off, as the target line (`POST /api/auth/login`
 * through the whole app, password verified; CPU time per login of the process, all threads),
 * then the detector's share alone as an information line.
 */
export async function runGeoCostBench(): Promise<string[]> {
  return [...(await loginPathLines()), ...(await detectorOnlyLines())];
}

/**
 * The detector's share of a successful login (precheck, then record with account_takeover),
 * with GeoIP on (bundled country data + a city database covering every address used) against
 * GeoIP off, in the same process, interleaved rounds (A B B A …). Every login of an account
 * comes from another public IP, so every one is placed twice and travel is computed; 50,000
 * addresses keep the lookup cache missing. Password hashing is left out: it would hide the cost.
 */
async function detectorOnlyLines(): Promise<string[]> {
  const cityDb = writeBenchCityDb();
  const geo = await GeoLookup.open({ cityDbPath: cityDb });
  const ips = Array.from({ length: 50_000 }, (_, i) => publicIp(i));
  const off = detectorWith(null);
  const on = detectorWith(geo);
  let n = 0;
  const run = async (detector: Detector) => {
    const started = performance.now();
    for (let i = 0; i < ROUND_LOGINS; i += 1) await login(detector, ips, n++);
    return performance.now() - started;
  };
  await run(off);
  await run(on);
  let offMs = 0;
  let onMs = 0;
  for (let round = 0; round < ROUNDS; round += 1) {
    if (round % 2 === 0) {
      offMs += await run(off);
      onMs += await run(on);
    } else {
      onMs += await run(on);
      offMs += await run(off);
    }
  }
  const logins = ROUNDS * ROUND_LOGINS;
  const ratio = offMs / onMs;
  const lookupUs = timeLookups(geo, ips);
  return [
    `  detector alone (no hashing, worst case): geo on ${fmt((logins / onMs) * 1000, 0)} vs off ${fmt((logins / offMs) * 1000, 0)} logins/s → ratio ${fmt(ratio, 3)} (information; no target)`,
    `    ${ROUNDS} interleaved rounds of ${ROUND_LOGINS} logins each side; every login from a new public IP of 50,000, two lookups (cache missing) and a travel check each; same events both sides`,
    `    one lookup: ${fmt(lookupUs.miss, 2)} µs on a cache miss, ${fmt(lookupUs.hit, 2)} µs on a hit (city MMDB, then the bundled country one; ${GEO_CACHE_NOTE})`,
  ];
}

const GEO_CACHE_NOTE = 'answers cached for the last 10,000 addresses';

function detectorWith(geo: GeoLookup | null): Detector {
  const bus = new SecurityEventBus();
  // A subscriber, as in a server: events are built and delivered either way.
  let events = 0;
  bus.subscribe(() => {
    events += 1;
  });
  void events;
  return createDetector({
    store: new MemoryCounterStore(),
    policy: () => DEFAULT_POLICY,
    bus,
    ...(geo === null ? {} : { locate: geo.locate }),
  });
}

async function login(detector: Detector, ips: readonly string[], i: number): Promise<void> {
  const ip = ips[i % ips.length] ?? '8.8.8.8';
  const account = `user${i % ACCOUNTS}@example.com`;
  const decision = await detector.precheck({
    ip,
    userAgent: 'Mozilla/5.0 bench',
    route: 'login',
    account,
    requestId: `r${i}`,
    now: Date.now(),
  });
  if (decision.action !== 'allow') throw new Error(`login ${i} refused: ${decision.rule}`);
  await detector.record(decision.ticket, {
    kind: 'login_succeeded',
    userId: `u${i % ACCOUNTS}`,
    deviceId: 'd',
  });
}

// Public addresses spread over ten /8s: a.b.c.d with b, c, d from i.
function publicIp(i: number): string {
  const a = FIRST_OCTETS[i % FIRST_OCTETS.length] ?? 8;
  const rest = Math.floor(i / FIRST_OCTETS.length);
  return `${a}.${(rest >> 8) & 255}.${rest & 255}.${1 + (i % 250)}`;
}

function writeBenchCityDb(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'flux-bench-geo-')), 'city.mmdb');
  const networks = FIRST_OCTETS.flatMap((a) =>
    Array.from({ length: 64 }, (_, b) => ({
      cidr: `${a}.${b * 4}.0.0/14`,
      // One place for all: both sides publish the same events (account_new_ip), so the
      // difference is the lookups and the travel check, not extra alerts.
      record: cityRecord('GB', 51.5, -0.12, 25),
    })),
  );
  writeFileSync(path, writeMmdb(networks));
  return path;
}

function timeLookups(geo: GeoLookup, ips: readonly string[]): { miss: number; hit: number } {
  const fresh = Array.from({ length: 20_000 }, (_, i) => `81.${(i >> 8) & 255}.${i & 255}.77`);
  let started = performance.now();
  for (const ip of fresh) geo.locate(ip);
  const miss = ((performance.now() - started) * 1000) / fresh.length;
  const hot = ips.slice(0, 1000);
  started = performance.now();
  for (let k = 0; k < 20; k += 1) for (const ip of hot) geo.locate(ip);
  const hit = ((performance.now() - started) * 1000) / (hot.length * 20);
  return { miss, hit };
}
