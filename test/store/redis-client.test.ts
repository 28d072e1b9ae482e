import { Cluster } from 'ioredis';
import { describe, expect, it } from 'vitest';
import {
  authOptionsFromUrl,
  clusterOptionsFromUrl,
  createRedisClient,
  waitForRedisReady,
} from '../../src/store/index.ts';
import { connectTestRedis, IS_CI, REDIS_URL } from './redis-test-client.ts';

describe('Redis connection options from a URL', () => {
  it('cluster: seeds, credentials (percent-decoded) and TLS for rediss', () => {
    expect(clusterOptionsFromUrl('rediss://app:p%40ss@node-a:7000, node-b:7001,node-c')).toEqual({
      seeds: [
        { host: 'node-a', port: 7000 },
        { host: 'node-b', port: 7001 },
        { host: 'node-c', port: 6379 },
      ],
      redisOptions: { username: 'app', password: 'p@ss', tls: {} },
    });
  });

  it('cluster: plain redis:// with a password only, no TLS', () => {
    expect(clusterOptionsFromUrl('redis://:secret@10.0.0.1:6380')).toEqual({
      seeds: [{ host: '10.0.0.1', port: 6380 }],
      redisOptions: { password: 'secret' },
    });
    expect(clusterOptionsFromUrl('10.0.0.1:6380,10.0.0.2:6380').redisOptions).toEqual({});
  });

  it('single node: any scheme case, no credentials', () => {
    expect(authOptionsFromUrl('REDISS://host:6380')).toEqual({ tls: {} });
    expect(authOptionsFromUrl('redis://host:6379/2')).toEqual({});
  });

  it('the cluster client passes credentials and TLS to every node', () => {
    const client = createRedisClient('rediss://app:pw@127.0.0.1:1', {
      cluster: true,
      connectTimeoutMs: 50,
    });
    try {
      expect(client).toBeInstanceOf(Cluster);
      expect((client as Cluster).options.redisOptions).toMatchObject({
        username: 'app',
        password: 'pw',
        tls: {},
      });
    } finally {
      client.disconnect();
    }
  });

  it('the single-node client honours the URL credentials and TLS', () => {
    const client = createRedisClient('REDISS://app:p%40ss@127.0.0.1:1/3', { connectTimeoutMs: 50 });
    try {
      expect(client.options).toMatchObject({
        username: 'app',
        password: 'p@ss',
        tls: {},
        host: '127.0.0.1',
        port: 1,
      });
    } finally {
      client.disconnect();
    }
  });

  it('reports a connection error once through onError and names it when not ready', async () => {
    const errors: Error[] = [];
    const client = createRedisClient('redis://127.0.0.1:1', {
      connectTimeoutMs: 100,
      onError: (error) => errors.push(error),
    });
    try {
      await expect(waitForRedisReady(client, 1500)).rejects.toThrow(
        /not ready after 1500 ms: .*ECONNREFUSED/,
      );
      // Several reconnect attempts ran meanwhile; the same error was reported once.
      expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/ECONNREFUSED/)]);
    } finally {
      client.disconnect();
    }
  });
});

const probe = await connectTestRedis();
probe?.disconnect();

if (probe === null && IS_CI) {
  it('Redis is reachable (required under CI)', () => {
    throw new Error(`Redis unreachable at ${REDIS_URL}; CI must provide it`);
  });
}

describe.skipIf(probe === null)(`Redis credentials (${REDIS_URL})`, () => {
  it('a wrong user/password surfaces WRONGPASS via onError and in the readiness error', async () => {
    const url = new URL(REDIS_URL);
    url.username = 'flux-auth-no-such-user';
    url.password = 'wrong';
    const errors: Error[] = [];
    const client = createRedisClient(url.toString(), {
      connectTimeoutMs: 500,
      onError: (error) => errors.push(error),
    });
    try {
      await expect(waitForRedisReady(client, 1500)).rejects.toThrow(/WRONGPASS/);
      expect(errors.filter((e) => /WRONGPASS/.test(e.message))).toHaveLength(1);
    } finally {
      client.disconnect();
    }
  });
});
