import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AttackClient, type AttackResponse, retryAfterOf } from '../helpers/attack-client.ts';
import { IS_CI, sleep } from '../helpers/attack-stores.ts';
import type { Json } from '../helpers/json.ts';
import { PostgresCluster, postgresClusterUnavailable } from '../helpers/postgres-cluster.ts';
import { ServerProcess } from '../helpers/server-process.ts';
import { TEST_JWT_SECRET } from '../helpers/test-service.ts';

const CYCLES = 10;
const LOAD_CLIENTS = 3;
/** Generous "does not hang" bound for each wait; nothing here measures speed. */
const WAIT_MS = 45_000;
const DOWN_MESSAGE = 'database unavailable: answering 503 SERVICE_UNAVAILABLE until it is back';
const UP_MESSAGE = 'database available again';

const missing = await postgresClusterUnavailable();
const suite = missing !== null && !IS_CI ? describe.skip : describe;

interface Outcome {
  readonly response: AttackResponse | null;
  readonly networkError: string | null;
}

const isDown = (line: Json) => line.level === 40 && line.msg === DOWN_MESSAGE;
const isUp = (line: Json) => line.level === 30 && line.msg === UP_MESSAGE;

suite(`a database outage never crashes the service${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let cluster: PostgresCluster | null = null;
  let server: ServerProcess | null = null;
  const users = Array.from({ length: LOAD_CLIENTS + 1 }, (_, i) => ({
    email: `drill-${i}@example.com`,
    password: `drill passphrase number ${i} for the outage`,
    name: `Drill ${i}`,
  }));
  const clients: AttackClient[] = [];
  const outcomes: Outcome[] = [];
  const probeAnswers: AttackResponse[] = [];
  let isLoadRunning = false;
  let loads: Promise<void>[] = [];

  const url = (path: string) => `${server?.url ?? ''}${path}`;
  // A connection error here usually means the server died: say so, with its stderr.
  const login = (client: AttackClient, user: (typeof users)[number]) =>
    client
      .post(url('/api/auth/login'), { email: user.email, password: user.password })
      .catch(async (error: unknown) => {
        await Promise.race([server?.exited, sleep(1000)]);
        throw new Error(
          `login failed: ${String(error)}; server exit: ${JSON.stringify(server?.exit)}\n${server?.stderr ?? ''}`,
        );
      });

  // Back-to-back logins; after a 503 a short pause, as a client honouring Retry-After would.
  async function runLoad(client: AttackClient, user: (typeof users)[number]): Promise<void> {
    while (isLoadRunning) {
      try {
        const response = await login(client, user);
        outcomes.push({ response, networkError: null });
        if (response.status !== 200) await sleep(100);
      } catch (error) {
        outcomes.push({ response: null, networkError: String(error) });
        await sleep(100);
      }
    }
  }

  const count200 = () => outcomes.filter((o) => o.response?.status === 200).length;

  // Polls `condition`; fails when the server died or after the generous bound.
  async function until(condition: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    while (!condition()) {
      if (server?.exit)
        throw new Error(`server exited while waiting for ${what}:\n${server.stderr}`);
      if (Date.now() > deadline) throw new Error(`timed out after ${WAIT_MS} ms: ${what}`);
      await sleep(50);
    }
  }

  async function waitForLogin200(client: AttackClient, user: (typeof users)[number]) {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const response = await login(client, user);
      probeAnswers.push(response);
      if (response.status === 200) return;
      if (Date.now() > deadline) throw new Error(`no 200 within ${WAIT_MS} ms after the restart`);
      await sleep(200);
    }
  }

  beforeAll(async () => {
    if (missing !== null) throw new Error(`${missing}; CI must provide it`);
    cluster = await PostgresCluster.create();
    await cluster.start();
    const dir = mkdtempSync(join(tmpdir(), 'flux-drill-'));
    const policyFile = join(dir, 'policy.json');
    // All clients share 127.0.0.1: the request-rate rules only watch, so the load is never blocked.
    writeFileSync(
      policyFile,
      JSON.stringify({
        rules: { brute_force: { mode: 'monitor' }, bot_activity: { mode: 'monitor' } },
      }),
    );
    server = await ServerProcess.start({
      NODE_ENV: 'test',
      JWT_SECRET: TEST_JWT_SECRET,
      DATABASE_URL: cluster.url(),
      DATA_DIR: dir,
      LOG_LEVEL: 'info',
      FLUX_AUTH_POLICY: policyFile,
    });
    const signup = new AttackClient('127.0.0.1');
    clients.push(signup);
    for (const user of users) {
      expect((await signup.post(url('/api/auth/signup'), user)).status).toBe(201);
    }
  }, 300_000);

  afterAll(async () => {
    isLoadRunning = false;
    await Promise.allSettled(loads);
    for (const client of clients) client.close();
    if (server !== null && server.exit === null) await server.stop('SIGKILL');
    await cluster?.drop();
  }, 180_000);

  it(`survives ${CYCLES} stop/start cycles under login load: 503 + Retry-After while down, 200 after, one warning per outage`, async () => {
    if (server === null || cluster === null) throw new Error('setup failed');
    const running = server;
    const probe = new AttackClient('127.0.0.1');
    clients.push(probe);
    const prober = users[LOAD_CLIENTS];
    if (prober === undefined) throw new Error('no probe user');
    isLoadRunning = true;
    loads = users.slice(0, LOAD_CLIENTS).map((user) => {
      const client = new AttackClient('127.0.0.1');
      clients.push(client);
      return runLoad(client, user);
    });

    for (let cycle = 1; cycle <= CYCLES; cycle += 1) {
      // Load is flowing on a healthy database, so connections are in use when it goes.
      const before = count200();
      await until(
        () => count200() >= before + LOAD_CLIENTS,
        `cycle ${cycle}: logins before the stop`,
      );

      await cluster.stop();

      const during = await login(probe, prober);
      probeAnswers.push(during);
      expect(during.status, `cycle ${cycle}: login while the database is down`).toBe(503);
      expect(during.body.code).toBe('SERVICE_UNAVAILABLE');
      expect(retryAfterOf(during)).toBeGreaterThanOrEqual(1);
      const ready = await probe.get(url('/ready'));
      expect(ready.status, `cycle ${cycle}: /ready while the database is down`).toBe(503);
      expect(ready.body.dependencies.database.status).toBe('down');

      await until(
        () => running.logsWhere(isDown).length >= cycle,
        `cycle ${cycle}: outage warning`,
      );
      // Let the load meet the known-down database for a moment (the fast path).
      await sleep(300);

      await cluster.start();
      await waitForLogin200(probe, prober);
      await until(() => running.logsWhere(isUp).length >= cycle, `cycle ${cycle}: recovery line`);
      const readyAgain = await probe.get(url('/ready'));
      expect(readyAgain.status, `cycle ${cycle}: /ready after the restart`).toBe(200);
    }

    isLoadRunning = false;
    await Promise.all(loads);
    expect(running.exit, `the server died:\n${running.stderr}`).toBeNull();

    const statuses: Record<string, number> = {};
    for (const o of outcomes) {
      const key = o.response ? String(o.response.status) : `network: ${o.networkError}`;
      statuses[key] = (statuses[key] ?? 0) + 1;
    }
    const refusals = outcomes.flatMap((o) => (o.response?.status === 503 ? [o.response] : []));
    console.info(
      `database outage drill: ${CYCLES} cycles, load answers ${JSON.stringify(statuses)}`,
    );
    // Only 200 and 503: never a 500, never a dropped connection.
    expect(Object.keys(statuses).sort()).toEqual(['200', '503']);
    for (const response of [...refusals, ...probeAnswers.filter((r) => r.status === 503)]) {
      expect(response.body.code).toBe('SERVICE_UNAVAILABLE');
      expect(retryAfterOf(response)).toBeGreaterThanOrEqual(1);
    }
    expect(probeAnswers.every((r) => r.status === 200 || r.status === 503)).toBe(true);

    // One warning and one recovery line per outage; no error-level line at all.
    expect(running.logsWhere(isDown)).toHaveLength(CYCLES);
    expect(running.logsWhere(isUp)).toHaveLength(CYCLES);
    expect(running.logsWhere((l) => typeof l.level === 'number' && l.level >= 50)).toEqual([]);
    expect(running.logsWhere((l) => l.res?.statusCode === 500)).toEqual([]);
    expect(running.stderr).toBe('');
  }, 600_000);

  it('loses no audit event: everything published, also during the outages, is in the table after shutdown', async () => {
    if (server === null || cluster === null) throw new Error('setup failed');
    const exit = await server.stop('SIGTERM');
    expect(exit.code).toBe(0);
    const published = server.logsWhere(
      (l) => typeof l.msg === 'string' && l.msg.startsWith('security event '),
    ).length;
    // The drill must have buffered events while the database was away, or this proves nothing.
    expect(
      server.logsWhere((l) => l.msg === 'buffered audit events written').length,
    ).toBeGreaterThan(0);
    expect(published).toBeGreaterThan(0);
    const [row] = await cluster.query<{ count: string }>(
      'select count(*) as count from security_events',
    );
    expect(Number(row?.count)).toBe(published);
  }, 120_000);
});
