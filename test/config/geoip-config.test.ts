import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { writeTestCityDb } from '../helpers/city-db.ts';
import { runCli } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'flux-geoip-config-'));
const notMmdb = join(dir, 'city.mmdb');
writeFileSync(notMmdb, 'not a database');

function load(env: Record<string, string>) {
  return loadConfig(
    { NODE_ENV: 'test', JWT_SECRET: 'x'.repeat(40), ...env },
    { cwd: dir, loadDevSecret: () => 'x'.repeat(40) },
  );
}

describe('GEOIP_CITY_DB and LOGIN_HISTORY_DAYS', () => {
  it('accepts a city MMDB (relative to the working directory) and defaults to none', () => {
    writeTestCityDb(join(dir, 'good.mmdb'));
    const good = load({ GEOIP_CITY_DB: 'good.mmdb' });
    expect(good.ok && good.config.geoipCityDb).toBe(join(dir, 'good.mmdb'));
    const none = load({});
    expect(none.ok && none.config.geoipCityDb).toBeNull();
    expect(none.ok && none.config.loginHistoryDays).toBe(30);
  });

  it('names the variable when the file is missing or not an MMDB', () => {
    for (const [path, reason] of [
      [notMmdb, 'not an MMDB (MaxMind DB) file'],
      [join(dir, 'nope.mmdb'), 'no such file'],
    ] as const) {
      const result = load({ GEOIP_CITY_DB: path });
      expect(result.ok).toBe(false);
      const problems = result.ok ? [] : result.problems;
      expect(problems).toHaveLength(1);
      expect(problems[0]?.startsWith(`GEOIP_CITY_DB (${path}): ${reason}. `)).toBe(true);
    }
    const days = load({ LOGIN_HISTORY_DAYS: '0' });
    expect(days.ok ? [] : days.problems.join()).toMatch(/LOGIN_HISTORY_DAYS/);
  });

  it('flux-auth start exits 78 with one line naming GEOIP_CITY_DB', async () => {
    const result = await runCli(['start'], {
      DATA_DIR: mkdtempSync(join(tmpdir(), 'flux-geoip-start-')),
      PORT: '0',
      GEOIP_CITY_DB: notMmdb,
    });
    expect(result.code).toBe(78);
    expect(result.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^flux-auth: configuration error: GEOIP_CITY_DB \(.*\): not an MMDB/),
    ]);
  });
});
