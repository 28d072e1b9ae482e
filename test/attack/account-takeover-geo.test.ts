import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AttackClient } from '../helpers/attack-client.ts';
import { securityEvents, seedAccounts, startAttackService } from '../helpers/attack-stores.ts';
import { writeTestCityDb } from '../helpers/city-db.ts';
import { openSqliteTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import type { TestService } from '../helpers/test-service.ts';

// The attacker logs in with a stolen password from far away, through the service's trusted
// proxy (TRUST_PROXY=loopback): the client address is the X-Forwarded-For one, a real public IP.

const HOUR = 3_600_000;
const victim = { email: 'traveller@example.com', password: 'traveller correct horse', name: 'T' };
const revoked = { email: 'revoked@example.com', password: 'revoked correct horse', name: 'R' };
const local = { email: 'local@example.com', password: 'local correct horse battery', name: 'L' };
const plain = { email: 'plain@example.com', password: 'plain correct horse battery', name: 'P' };

let db: TestDatabase;
let now = Date.now();
const clock = () => now;
const proxy = new AttackClient('127.0.0.1');

beforeAll(async () => {
  db = await openSqliteTestDatabase();
  await seedAccounts(db.handle, [victim, revoked, local, plain]);
});

afterAll(async () => {
  proxy.close();
  await db?.cleanup();
});

function loginVia(service: TestService, account: { email: string; password: string }) {
  return (forwardedFor: string) =>
    proxy.post(
      `${service.url}/api/auth/login`,
      { email: account.email, password: account.password },
      { 'x-forwarded-for': forwardedFor },
    );
}

async function eventsOf(service: TestService, userId: string) {
  const types = ['account_new_ip', 'account_new_country', 'impossible_travel'];
  const all = await Promise.all(types.map((type) => securityEvents(service, type)));
  return all.flat().filter((e) => e.user_id === userId);
}

describe('with a city database (GEOIP_CITY_DB)', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startAttackService(db.handle, 'memory', {
      clock,
      env: { TRUST_PROXY: 'loopback', GEOIP_CITY_DB: writeTestCityDb() },
    });
  });
  afterAll(async () => {
    await service?.close();
  });

  it('London, London again, then Tokyo 30 minutes later: low, then high + impossible travel', async () => {
    const login = loginVia(service, victim);
    const first = await login('81.2.69.142');
    expect(first.status).toBe(200);
    const userId = (first.body as unknown as { user: { id: string } }).user.id;
    now += HOUR;
    expect((await login('81.2.69.143')).status).toBe(200);
    let events = await eventsOf(service, userId);
    expect(events.map((e) => [e.type, e.severity])).toEqual([['account_new_ip', 'low']]);

    now += HOUR / 2;
    expect((await login('133.11.0.1')).status).toBe(200);
    events = await eventsOf(service, userId);
    const byType = Object.fromEntries(events.map((e) => [e.type, e]));
    expect(Object.keys(byType).sort()).toEqual([
      'account_new_country',
      'account_new_ip',
      'impossible_travel',
    ]);
    expect(byType.account_new_country).toMatchObject({ severity: 'high', ip: '133.11.0.1' });
    const travel = byType.impossible_travel;
    expect(travel).toMatchObject({
      severity: 'high',
      ip: '133.11.0.1',
      details: {
        previousIp: '81.2.69.143',
        from: { country: 'GB', latitude: 51.5142, longitude: -0.0931, accuracyRadiusKm: 10 },
        to: { country: 'JP', latitude: 35.6895, longitude: 139.6917, accuracyRadiusKm: 5 },
        elapsedMs: HOUR / 2,
        maxSpeedKmh: 900,
        revokeSessions: false,
      },
    });
    expect(travel?.details.distanceKm).toBeGreaterThan(9500);
    expect(travel?.details.speedKmh).toBeGreaterThan(18_000);
  });

  it('private and loopback addresses: a new IP, no geo event and no error', async () => {
    const login = loginVia(service, local);
    const first = await login('10.1.2.3');
    const userId = (first.body as unknown as { user: { id: string } }).user.id;
    now += 60_000;
    expect((await login('192.168.1.1')).status).toBe(200);
    now += 60_000;
    expect((await login('81.2.69.142')).status).toBe(200);
    const events = await eventsOf(service, userId);
    expect(events.map((e) => e.type)).toEqual(['account_new_ip', 'account_new_ip']);
    expect(events[0]?.details).toMatchObject({ from: null, to: null, distanceKm: null });
    expect(events[1]?.details).toMatchObject({ from: null, to: { country: 'GB' } });
  });
});

describe('impossible travel with revokeSessionsOnImpossibleTravel', () => {
  let service: TestService;
  beforeAll(async () => {
    const { parsePolicy } = await import('../../src/detection/index.ts');
    const parsed = parsePolicy({
      rules: { account_takeover: { revokeSessionsOnImpossibleTravel: true } },
    });
    if (!parsed.ok) throw new Error(parsed.problems.join());
    service = await startAttackService(db.handle, 'memory', {
      clock,
      policy: parsed.policy,
      env: { TRUST_PROXY: 'loopback', GEOIP_CITY_DB: writeTestCityDb() },
    });
  });
  afterAll(async () => {
    await service?.close();
  });

  it("revokes the owner's other sessions; the new login's session stays", async () => {
    const login = loginVia(service, revoked);
    const owner = await login('81.2.69.142');
    const ownerToken = (owner.body as unknown as { refreshToken: string }).refreshToken;
    now += 10 * 60_000;
    const thief = await login('133.11.0.1');
    const thiefToken = (thief.body as unknown as { refreshToken: string }).refreshToken;
    const refresh = (refreshToken: string) =>
      proxy.post(
        `${service.url}/api/auth/refresh`,
        { refreshToken },
        {
          'x-forwarded-for': '81.2.69.142',
        },
      );
    // The revocation runs off the request path: wait for it, bounded.
    const db = service.services.database.db;
    const revokedCount = async () =>
      (
        await db
          .selectFrom('refresh_tokens')
          .select('id')
          .where('revoked_at', 'is not', null)
          .execute()
      ).length;
    for (let i = 0; i < 100 && (await revokedCount()) === 0; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect((await refresh(ownerToken)).status).toBe(401);
    expect((await refresh(thiefToken)).status).toBe(200);
  });
});

describe('country database only (no GEOIP_CITY_DB)', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startAttackService(db.handle, 'memory', {
      clock,
      env: { TRUST_PROXY: 'loopback' },
    });
  });
  afterAll(async () => {
    await service?.close();
  });

  it('US then GB a minute later: a new country, but no impossible travel without coordinates', async () => {
    const login = loginVia(service, plain);
    const first = await login('8.8.8.8');
    const userId = (first.body as unknown as { user: { id: string } }).user.id;
    now += 60_000;
    expect((await login('81.2.69.142')).status).toBe(200);
    const events = await eventsOf(service, userId);
    expect(events.map((e) => e.type).sort()).toEqual(['account_new_country', 'account_new_ip']);
    expect(events[0]?.details).toMatchObject({
      from: { country: 'US' },
      to: { country: 'GB' },
      distanceKm: null,
      elapsedMs: 60_000,
    });
  });
});
