import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AttackClient, type AttackResponse } from '../helpers/attack-client.ts';
import { freePort, RedisServerProcess, scanKeys } from '../helpers/attack-redis-server.ts';
import { IS_CI, seedAccounts, wrongPassword } from '../helpers/attack-stores.ts';
import { runCli } from '../helpers/cli.ts';
import { openSqliteTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { NginxProcess, nginxBinary } from '../helpers/nginx-process.ts';
import {
  type ServerProcess,
  startServerProcesses,
  stopServerProcesses,
} from '../helpers/server-processes.ts';
import { TEST_JWT_SECRET } from '../helpers/test-service.ts';

// Issue 13: Debian's nginx in front of two `flux-auth start` processes on loopback, configured
// as most deployments are (`proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for`).
// Real clients reach nginx from their own loopback addresses (127.0.0.2, 127.0.0.3, …).
const missing = nginxBinary() === null ? 'nginx not installed (apt-get install -y nginx)' : null;
const suite = missing !== null && !IS_CI ? describe.skip : describe;
const BLOCKED = 'Too many failed attempts. Your IP has been temporarily blocked.';

const alice = {
  email: 'alice-proxy@example.com',
  password: 'alice proxy correct horse',
  name: 'A',
};
const bob = { email: 'bob-proxy@example.com', password: 'bob proxy correct horse', name: 'B' };
const carol = {
  email: 'carol-proxy@example.com',
  password: 'carol proxy correct horse',
  name: 'C',
};

/** Two server processes sharing a SQLite file and a Redis of their own, nginx in front. */
interface ProxiedFleet {
  readonly servers: ServerProcess[];
  readonly nginx: NginxProcess;
  readonly redis: RedisServerProcess;
}

async function startProxiedFleet(
  db: TestDatabase,
  env: Record<string, string>,
): Promise<ProxiedFleet> {
  const redis = new RedisServerProcess(await freePort());
  await redis.start();
  // A Redis waiting 5 × 50 ms for a CPU on a busy CI box would switch the instances to their
  // in-process shares and change the counts; this test is about the proxy, not about that.
  const servers = await startServerProcesses(2, {
    databaseUrl: db.url,
    redisUrl: redis.url,
    env: { REDIS_TIMEOUT_MS: '250', ...env },
  });
  const nginx = await NginxProcess.start(servers.map((s) => s.url));
  return { servers, nginx, redis };
}

async function stopProxiedFleet(fleet: ProxiedFleet | undefined): Promise<void> {
  await fleet?.nginx.stop();
  if (fleet) await stopServerProcesses(fleet.servers);
  await fleet?.redis.kill();
}

/** The client keys that have anything in Redis (`fa:{ip:<key>}:s`, `:rep`). */
async function countedClients(redis: RedisServerProcess): Promise<string[]> {
  const client = await redis.client();
  try {
    const keys = await scanKeys(client, 'fa:{ip:');
    // Every key of a client (its state `:s`, its reputation `:rep` once it was blocked).
    return [...new Set(keys.map((k) => /\{ip:(.*)\}:[a-z]+$/.exec(k)?.[1] ?? k))].sort();
  } finally {
    client.disconnect();
  }
}

let db: TestDatabase;
const clients: AttackClient[] = [];
const clientAt = (address: string) => {
  const c = new AttackClient(address, { maxSockets: 4 });
  clients.push(c);
  return c;
};

beforeAll(async () => {
  if (missing !== null && IS_CI) throw new Error(`${missing}; CI must provide it`);
  db = await openSqliteTestDatabase();
  await seedAccounts(db.handle, [alice, bob, carol]);
}, 60_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await db?.cleanup();
});

suite(`nginx in front of two instances, TRUST_PROXY=127.0.0.1${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let fleet: ProxiedFleet;
  const login = (c: AttackClient, body: unknown, headers: Record<string, string> = {}) =>
    c.post(`${fleet.nginx.url}/api/auth/login`, body, headers);

  beforeAll(async () => {
    fleet = await startProxiedFleet(db, { TRUST_PROXY: '127.0.0.1' });
  }, 120_000);
  afterAll(async () => stopProxiedFleet(fleet), 60_000);

  it('forged X-Forwarded-For does not move the key: the block lands on the real client, other clients log in', async () => {
    const attacker = clientAt('127.0.0.2');
    const statuses: number[] = [];
    for (let i = 0; i < 8; i += 1) {
      // Each guess claims another origin; nginx appends the real peer to the right of it.
      const forged = i % 2 === 0 ? `198.51.100.${i + 1}` : `203.0.113.${i}, 198.51.100.${i}`;
      const res = await login(attacker, wrongPassword(alice, i), { 'x-forwarded-for': forged });
      statuses.push(res.status);
    }
    expect(statuses, fleet.nginx.errorLog()).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    // The right password, from the blocked client, under yet another forged origin: refused.
    const again = await login(attacker, alice, { 'x-forwarded-for': '192.0.2.77' });
    expect(again.status).toBe(429);
    expect((again.body as { error?: string }).error).toBe(BLOCKED);

    // Another real client, even one claiming to be the attacker, is its own client.
    const victim = clientAt('127.0.0.3');
    const asAttacker = await login(victim, alice, { 'x-forwarded-for': '127.0.0.2' });
    expect(asAttacker.status).toBe(200);
    // A third client using one of the forged origins is not blocked either.
    const third = clientAt('127.0.0.4');
    expect((await login(third, bob, { 'x-forwarded-for': '198.51.100.1' })).status).toBe(200);

    // Counted under the real clients only: no forged origin, and not nginx's own address.
    expect(await countedClients(fleet.redis)).toEqual(['127.0.0.2', '127.0.0.3', '127.0.0.4']);
  });

  it('two real clients failing against one account are counted apart; the block lands on the right one', async () => {
    const first = clientAt('127.0.0.5');
    const second = clientAt('127.0.0.6');
    const statuses = async (c: AttackClient, from: number, count: number) => {
      const out: number[] = [];
      for (let i = from; i < from + count; i += 1) {
        out.push((await login(c, wrongPassword(carol, i))).status);
      }
      return out;
    };
    // Interleaved: together they pass the limit of five, each alone does not.
    expect(await statuses(first, 0, 3)).toEqual([401, 401, 401]);
    expect(await statuses(second, 10, 3)).toEqual([401, 401, 401]);
    expect(await statuses(first, 3, 3)).toEqual([401, 401, 429]);
    const blocked: AttackResponse = await login(first, carol);
    expect(blocked.status).toBe(429);
    // The second client still has one guess left and its owner's password works.
    expect(await statuses(second, 13, 1)).toEqual([401]);
    expect((await login(second, carol)).status).toBe(200);
  });

  it('no instance warned about TRUST_PROXY and nothing failed', () => {
    for (const server of fleet.servers) {
      expect(server.output()).not.toContain('TRUST_PROXY is not set');
      expect(server.errors()).toEqual([]);
    }
  });
});

suite(`nginx in front of two instances, TRUST_PROXY unset${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let fleet: ProxiedFleet;
  const login = (c: AttackClient, body: unknown) =>
    c.post(`${fleet.nginx.url}/api/auth/login`, body);

  beforeAll(async () => {
    fleet = await startProxiedFleet(db, {});
  }, 120_000);
  afterAll(async () => stopProxiedFleet(fleet), 60_000);

  it('everyone behind nginx is one client: one attacker locks out another client', async () => {
    const attacker = clientAt('127.0.0.7');
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1)
      statuses.push((await login(attacker, wrongPassword(alice, i))).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    const bystander = clientAt('127.0.0.8');
    expect((await login(bystander, bob)).status).toBe(429);
    expect(await countedClients(fleet.redis)).toEqual(['127.0.0.1']);
  });

  it('each instance says so once in its log, naming TRUST_PROXY', async () => {
    // A few more requests through nginx reach both instances (round robin): still once each.
    const more = clientAt('127.0.0.9');
    for (let i = 0; i < 4; i += 1) await more.get(`${fleet.nginx.url}/health`);
    for (const server of fleet.servers) {
      const warnings = server
        .output()
        .split('\n')
        .filter((line) => line.includes('TRUST_PROXY is not set'));
      expect(warnings, server.output()).toHaveLength(1);
    }
  });

  it("doctor, run with the instance's settings, fails the trusted-proxy check naming TRUST_PROXY", async () => {
    const server = fleet.servers[0] as ServerProcess;
    const result = await runCli(['doctor'], {
      NODE_ENV: 'test',
      DATA_DIR: server.dataDir,
      DATABASE_URL: db.url,
      REDIS_URL: fleet.redis.url,
      JWT_SECRET: TEST_JWT_SECRET,
    });
    expect(result.stdout).toMatch(
      /FAIL\s+trusted proxy\s+requests came through a proxy at 127\.0\.0\.1 .*TRUST_PROXY is not set.*Set TRUST_PROXY/,
    );
    expect(result.code).toBe(1);
    // With TRUST_PROXY set, the same data directory passes that check.
    const fixed = await runCli(['doctor'], {
      NODE_ENV: 'test',
      DATA_DIR: server.dataDir,
      DATABASE_URL: db.url,
      REDIS_URL: fleet.redis.url,
      JWT_SECRET: TEST_JWT_SECRET,
      TRUST_PROXY: '127.0.0.1',
    });
    expect(fixed.stdout).toMatch(/ok\s+trusted proxy\s+TRUST_PROXY=127\.0\.0\.1/);
  }, 60_000);
});
