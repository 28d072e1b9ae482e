import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteTestDatabase } from '../helpers/databases.ts';
import { type FakeSentry, startFakeSentry } from '../helpers/fake-sentry.ts';
import type { Json } from '../helpers/json.ts';
import { freePort, type ServiceProcess, startServiceProcess } from '../helpers/service-process.ts';
import { TEST_JWT_SECRET } from '../helpers/test-service.ts';

// Sentry's SDK is process-global: each scenario runs the real start command in a child process.
// The traced requests are GET /openapi.json (200): the SDK drops transactions of 401 and 404
// answers by default, so a flood of refused requests does not use up the trace quota.

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Runs `count` requests through `concurrency` workers; returns the statuses. */
async function runRequests(
  count: number,
  concurrency: number,
  request: (index: number) => Promise<Response>,
): Promise<number[]> {
  const statuses: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next;
      next += 1;
      const response = await request(index);
      await response.arrayBuffer();
      statuses.push(response.status);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return statuses;
}

function wrongLogin(service: ServiceProcess, clientIp: string): Promise<Response> {
  return fetch(`${service.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': clientIp },
    body: JSON.stringify({ email: 'victim@example.com', password: 'wrong-password-123' }),
  });
}

function stoppedStats(service: ServiceProcess): Json {
  return service.logs.find((line) => line.msg === 'Sentry flushed');
}

function transactionsNamed(fake: FakeSentry, name: string): number {
  return fake.items('transaction').filter((t) => t.transaction === name).length;
}

describe('development: every request traced, probes never, one message per block', () => {
  it('traces 1,000 of 1,000 requests, no health or ready probe, and reports each block once', async () => {
    const fake = await startFakeSentry();
    cleanups.push(() => fake.close());
    const service = await startServiceProcess({
      SENTRY_DSN: fake.dsn,
      JWT_SECRET: TEST_JWT_SECRET,
      TRUST_PROXY: '127.0.0.1/32',
    });
    cleanups.push(() => service.stop());

    // In batches of 50, each delivered before the next starts: the transport keeps at most
    // SENTRY_QUEUE_SIZE envelopes in flight and drops the rest by design, and on a busy CI host
    // the fake endpoint (in this test's own process) once answered too slowly for 4 unpaced
    // workers. Pacing keeps this test about sampling, not about the queue bound.
    for (let batch = 1; batch <= 20; batch += 1) {
      const statuses = await runRequests(50, 4, () => fetch(`${service.url}/openapi.json`));
      expect(statuses.filter((s) => s === 200)).toHaveLength(50);
      await fake.waitFor(() => transactionsNamed(fake, 'GET /openapi.json') >= batch * 50, 60_000);
    }
    await runRequests(20, 4, (i) => fetch(`${service.url}/${i % 2 === 0 ? 'health' : 'ready'}`));

    const bruteForceMessages = () =>
      fake.items('event').filter((e) => (e as Json).tags?.rule === 'brute_force') as Json[];
    const first = await runRequests(6, 1, () => wrongLogin(service, '198.51.100.7'));
    expect(first).toEqual([401, 401, 401, 401, 401, 429]);
    await fake.waitFor(() => bruteForceMessages().length >= 1);
    expect(bruteForceMessages()).toHaveLength(1);

    const second = await runRequests(6, 1, () => wrongLogin(service, '198.51.100.8'));
    expect(second).toEqual([401, 401, 401, 401, 401, 429]);
    await fake.waitFor(() => bruteForceMessages().length >= 2);
    expect(await service.stop()).toBe(0);

    expect(transactionsNamed(fake, 'GET /openapi.json')).toBe(1000);
    const probes = fake
      .items('transaction')
      .filter((t) => /health|ready/.test(String(t.transaction)));
    expect(probes).toEqual([]);

    const messages = bruteForceMessages();
    // One message per block: each names its own IP (a block reported twice would repeat one).
    expect(messages.map((m) => m.contexts.security_event.ip).sort()).toEqual([
      '198.51.100.7',
      '198.51.100.8',
    ]);
    for (const message of messages) {
      expect(message.tags).toMatchObject({
        rule: 'brute_force',
        severity: 'high',
        type: 'brute_force',
      });
      expect(message.fingerprint).toEqual(['security-event', 'brute_force']);
      expect(message.level).toBe('error');
      expect(message.contexts.security_event).toMatchObject({ action: 'block', limit: 5 });
    }
    expect(stoppedStats(service)?.sentry).toMatchObject({ dropped: 0 });
  }, 300_000);
});

describe('production: traces sampled at 10%', () => {
  it('1,000 requests give between 60 and 140 transactions', async () => {
    const db = await openSqliteTestDatabase();
    cleanups.push(() => db.cleanup());
    const fake = await startFakeSentry();
    cleanups.push(() => fake.close());
    const service = await startServiceProcess({
      NODE_ENV: 'production',
      DATABASE_URL: db.url,
      JWT_SECRET: TEST_JWT_SECRET,
      SENTRY_DSN: fake.dsn,
    });
    cleanups.push(() => service.stop());
    const statuses = await runRequests(1000, 8, () => fetch(`${service.url}/openapi.json`));
    expect(statuses.filter((s) => s === 200)).toHaveLength(1000);
    expect(await service.stop()).toBe(0);
    const traced = transactionsNamed(fake, 'GET /openapi.json');
    // Binomial(1000, 0.1): mean 100, standard deviation 9.5; 60–140 is over 4 deviations wide.
    expect(traced).toBeGreaterThanOrEqual(60);
    expect(traced).toBeLessThanOrEqual(140);
    expect(service.logs.find((l) => l.msg === 'Sentry initialized')).toMatchObject({
      environment: 'production',
      tracesSampleRate: 0.1,
    });
  }, 300_000);
});

describe('a Sentry host that is down or hangs never affects a request', () => {
  async function signupAndLogin(service: ServiceProcess): Promise<number[]> {
    const body = { email: 'owner@example.com', password: 'correct horse battery 1' };
    const signup = await fetch(`${service.url}/api/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...body, name: 'Owner' }),
    });
    expect(signup.status).toBe(201);
    return runRequests(10, 2, () =>
      fetch(`${service.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
    );
  }

  it('DSN at a closed port: every login succeeds and the drop counter rises', async () => {
    const closedPort = await freePort();
    const service = await startServiceProcess({
      SENTRY_DSN: `http://0123456789abcdef@127.0.0.1:${closedPort}/1`,
      JWT_SECRET: TEST_JWT_SECRET,
    });
    cleanups.push(() => service.stop());
    expect(await signupAndLogin(service)).toEqual(Array(10).fill(200));
    expect(await service.stop()).toBe(0);
    const { sentry } = stoppedStats(service);
    expect(sentry.sent).toBe(0);
    expect(sentry.dropped).toBeGreaterThan(0);
  }, 180_000);

  it('DSN host that accepts and never answers: logins succeed, SIGTERM exits within the shutdown timeout', async () => {
    const sockets = new Set<Socket>();
    const blackHole: Server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy();
          blackHole.close(() => resolve());
        }),
    );
    const address = blackHole.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const service = await startServiceProcess({
      SENTRY_DSN: `http://0123456789abcdef@127.0.0.1:${port}/1`,
      JWT_SECRET: TEST_JWT_SECRET,
      SHUTDOWN_TIMEOUT_MS: '3000',
    });
    cleanups.push(() => service.stop());
    expect(await signupAndLogin(service)).toEqual(Array(10).fill(200));
    expect(await service.stop()).toBe(0);
    const stopped = stoppedStats(service);
    expect(stopped.isFlushed).toBe(false);
    expect(stopped.sentry.sent).toBe(0);
  }, 180_000);
});
