import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ZxcvbnStrengthEstimator } from '../../src/accounts/index.ts';
import { loadConfig } from '../../src/config/index.ts';
import { GeoLookup } from '../../src/geo/index.ts';
import type { App } from '../../src/http/app.ts';
import { createHttpApp, createServices, type Services } from '../../src/main.ts';
import { createLogger } from '../../src/monitoring/logger.ts';
import { cityRecord, writeMmdb } from '../../test/helpers/mmdb-writer.ts';
import { fmt } from './stats.ts';

/** Target: the login path with geo on costs at most 1/0.95 of it with geo off. */
const TARGET = 0.95;
const ROUNDS = 8;
const ROUND_LOGINS = 24;
const ACCOUNTS = 4;
const PASSWORD = 'geo bench correct horse battery';

interface Side {
  readonly app: App;
  readonly services: Services;
  cpuUs: number;
  logins: number;
}

/**
 * Logins through the whole app (`app.inject`, password verified on the hash pool), each from a
 * new public IP so account_takeover places both logins; CPU time of this process per login,
 * geo on against geo off, interleaved rounds.
 */
export async function loginPathLines(): Promise<string[]> {
  const estimator = new ZxcvbnStrengthEstimator();
  const geo = await GeoLookup.open({ cityDbPath: writeCityDb() });
  const off = await startSide(null, estimator);
  const on = await startSide(geo.locate, estimator);
  let n = 0;
  const run = async (side: Side) => {
    const before = process.cpuUsage();
    for (let i = 0; i < ROUND_LOGINS; i += 1) {
      const k = n++;
      const response = await side.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        remoteAddress: `81.${(k >> 8) & 255}.${k & 255}.9`,
        payload: { email: `geo${k % ACCOUNTS}@example.com`, password: PASSWORD },
      });
      if (response.statusCode !== 200) throw new Error(`login answered ${response.statusCode}`);
    }
    const used = process.cpuUsage(before);
    side.cpuUs += used.user + used.system;
    side.logins += ROUND_LOGINS;
  };
  try {
    await run(off);
    await run(on);
    off.cpuUs = 0;
    on.cpuUs = 0;
    off.logins = 0;
    on.logins = 0;
    for (let round = 0; round < ROUNDS; round += 1) {
      const order = round % 2 === 0 ? [off, on] : [on, off];
      for (const side of order) await run(side);
    }
  } finally {
    await off.services.close();
    await on.services.close();
  }
  const offMs = off.cpuUs / off.logins / 1000;
  const onMs = on.cpuUs / on.logins / 1000;
  const ratio = offMs / onMs;
  return [
    `login path, geo on vs off: ${fmt(onMs, 2)} vs ${fmt(offMs, 2)} ms CPU per login → ratio ${fmt(ratio, 3)} (target ≥ ${TARGET}) ${ratio >= TARGET ? 'OK' : 'MISSED'}`,
    `  POST /api/auth/login through the app (argon2id verify included), ${ROUNDS} interleaved rounds of ${ROUND_LOGINS} per side, every login from a new public IP (country + city lookups, travel check)`,
  ];
}

async function startSide(
  locate: GeoLookup['locate'] | null,
  estimator: ZxcvbnStrengthEstimator,
): Promise<Side> {
  const dataDir = mkdtempSync(join(tmpdir(), 'flux-bench-geo-login-'));
  const result = loadConfig(
    {
      NODE_ENV: 'test',
      JWT_SECRET: 'geo-bench-secret-that-is-long-enough-0123456789',
      LOG_LEVEL: 'silent',
      DATA_DIR: dataDir,
      METRICS_PORT: 'off',
      HASH_MAX_IN_FLIGHT: '2',
    },
    { cwd: dataDir, loadDevSecret: () => '' },
  );
  if (!result.ok) throw new Error(result.problems.join('\n'));
  const logger = createLogger('silent');
  const services = await createServices(result.config, logger, {
    strengthEstimator: estimator,
    geoLocator: locate,
  });
  const app = await createHttpApp(services);
  for (let i = 0; i < ACCOUNTS; i += 1) {
    await services.accounts.signup({ email: `geo${i}@example.com`, password: PASSWORD, name: 'G' });
  }
  return { app, services, cpuUs: 0, logins: 0 };
}

function writeCityDb(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'flux-bench-geo-city-')), 'city.mmdb');
  const networks = Array.from({ length: 256 }, (_, b) => ({
    cidr: `81.${b}.0.0/16`,
    record: cityRecord('GB', 50 + b / 64, -5 + b / 16, 25),
  }));
  writeFileSync(path, writeMmdb(networks));
  return path;
}
