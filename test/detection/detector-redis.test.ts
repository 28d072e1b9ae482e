import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createDetector,
  DEFAULT_POLICY,
  type Decision,
  ResilientCounterStore,
} from '../../src/detection/index.ts';
import {
  createRedisClient,
  type RedisClient,
  RedisCounterStore,
  waitForRedisReady,
} from '../../src/store/index.ts';
import {
  connectTestRedis,
  deleteKeys,
  IS_CI,
  REDIS_URL,
  uniquePrefix,
} from '../store/redis-test-client.ts';
import { attempt, fakeClock, recordingBus } from './helpers.ts';

const probe = await connectTestRedis();
probe?.disconnect();
const prefix = uniquePrefix();
const clients: RedisClient[] = [];

async function connected(url = REDIS_URL): Promise<RedisClient> {
  const client = createRedisClient(url);
  clients.push(client);
  await waitForRedisReady(client, 2000);
  return client;
}

afterAll(async () => {
  const first = clients[0];
  if (first !== undefined && first.status === 'ready') await deleteKeys(first, prefix);
  for (const client of clients) client.disconnect();
});

if (probe === null && IS_CI) {
  it('Redis is reachable (required under CI)', () => {
    throw new Error(`Redis unreachable at ${REDIS_URL}; CI must provide it`);
  });
}

describe.skipIf(probe === null)(`detector on shared Redis (${REDIS_URL})`, () => {
  it('1,000 concurrent wrong logins across 3 instances: exactly 5 reach the password check', async () => {
    const clock = fakeClock();
    const { bus } = recordingBus();
    const detectors = await Promise.all(
      [0, 1, 2].map(async () =>
        createDetector({
          store: new RedisCounterStore(await connected(), { keyPrefix: prefix }),
          policy: () => DEFAULT_POLICY,
          bus,
          clock: clock.now,
        }),
      ),
    );
    let checked = 0;
    const decisions = await Promise.all(
      Array.from({ length: 1000 }, async (_, i): Promise<Decision> => {
        const detector = detectors[i % 3];
        if (detector === undefined) throw new Error('no detector');
        const decision = await detector.precheck(
          attempt('login', clock.now(), { ip: '198.18.0.1' }),
        );
        if (decision.action === 'allow') {
          checked += 1;
          await detector.record(decision.ticket, { kind: 'login_failed' });
        }
        return decision;
      }),
    );
    expect(checked).toBe(5);
    expect(decisions.filter((d) => d.action === 'block')).toHaveLength(995);
    const later = await detectors[1]?.precheck(
      attempt('login', clock.now() + 5000, { ip: '198.18.0.1' }),
    );
    expect(later?.action).toBe('block');
  });

  it('55 concurrent signups across 3 instances: exactly 50 allowed', async () => {
    const clock = fakeClock();
    const { bus } = recordingBus();
    const detectors = await Promise.all(
      [0, 1, 2].map(async () =>
        createDetector({
          store: new RedisCounterStore(await connected(), { keyPrefix: prefix }),
          policy: () => DEFAULT_POLICY,
          bus,
          clock: clock.now,
        }),
      ),
    );
    const decisions = await Promise.all(
      Array.from({ length: 55 }, (_, i) =>
        detectors[i % 3]?.precheck(attempt('signup', clock.now(), { ip: '198.18.0.2' })),
      ),
    );
    expect(decisions.filter((d) => d?.action === 'allow')).toHaveLength(50);
  });
});

describe('degrade, never break', () => {
  it('a dead Redis: prechecks answer fast from memory, limits hold, one event', async () => {
    const clock = fakeClock();
    const { bus, events, flush } = recordingBus();
    const dead = createRedisClient('redis://127.0.0.1:1', { connectTimeoutMs: 200 });
    clients.push(dead);
    const store = new ResilientCounterStore({
      primary: new RedisCounterStore(dead, { keyPrefix: prefix }),
      bus,
      clock: clock.now,
      probeIntervalMs: 60_000,
    });
    const detector = createDetector({ store, policy: () => DEFAULT_POLICY, bus, clock: clock.now });
    const started = performance.now();
    for (let i = 0; i < 5; i += 1) {
      const d = await detector.precheck(attempt('login', clock.now()));
      expect(d.action).toBe('allow');
      if (d.action === 'allow') await detector.record(d.ticket, { kind: 'login_failed' });
    }
    expect((await detector.precheck(attempt('login', clock.now()))).action).toBe('block');
    expect(performance.now() - started).toBeLessThan(1000);
    expect(detector.status()).toBe('degraded');
    await flush();
    expect(events.filter((e) => e.type === 'detection_store_degraded')).toHaveLength(1);
    store.close();
  });

  it.skipIf(!hasRedisServer())('switches back to Redis by itself when it returns', async () => {
    const port = await freePort();
    let server = await startRedis(port);
    const clock = fakeClock();
    const { bus, events, flush } = recordingBus();
    const client = createRedisClient(`redis://127.0.0.1:${port}`, { connectTimeoutMs: 200 });
    clients.push(client);
    await waitForRedisReady(client, 3000);
    const store = new ResilientCounterStore({
      primary: new RedisCounterStore(client, { keyPrefix: prefix }),
      bus,
      clock: clock.now,
      probeIntervalMs: 50,
    });
    const detector = createDetector({ store, policy: () => DEFAULT_POLICY, bus, clock: clock.now });
    expect((await detector.precheck(attempt('signup', clock.now()))).action).toBe('allow');
    expect(detector.status()).toBe('ok');
    await stopRedis(server);
    expect((await detector.precheck(attempt('signup', clock.now()))).action).toBe('allow');
    expect(detector.status()).toBe('degraded');
    server = await startRedis(port);
    await until(() => detector.status() === 'ok', 5000);
    expect((await detector.precheck(attempt('signup', clock.now()))).action).toBe('allow');
    await flush();
    expect(events.filter((e) => e.type === 'detection_store_degraded')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'detection_store_recovered')).toHaveLength(1);
    store.close();
    await stopRedis(server);
  });
});

function hasRedisServer(): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => existsSync(`${dir}/redis-server`));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  const client = createRedisClient(`redis://127.0.0.1:${port}`);
  try {
    await until(() => client.status === 'ready', 5000);
  } finally {
    client.disconnect();
  }
  return child;
}

function stopRedis(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
