import { afterEach, expect, it } from 'vitest';
import { FleetHeartbeat, type RedisClient } from '../../src/store/index.ts';
import { describeWithRedis } from '../helpers/attack-stores.ts';
import { connectTestRedis, deleteKeys, uniquePrefix } from './redis-test-client.ts';

describeWithRedis('FleetHeartbeat', () => {
  const clients: RedisClient[] = [];
  const prefixes: string[] = [];

  async function client(): Promise<RedisClient> {
    const c = await connectTestRedis();
    if (c === null) throw new Error('Redis unreachable');
    clients.push(c);
    return c;
  }

  function prefix(): string {
    const p = uniquePrefix();
    prefixes.push(p);
    return p;
  }

  afterEach(async () => {
    for (const c of clients.splice(0)) c.disconnect();
    const admin = await connectTestRedis();
    try {
      for (const p of prefixes.splice(0)) if (admin !== null) await deleteKeys(admin, p);
    } finally {
      admin?.disconnect();
    }
  });

  it('counts the instances beating under one prefix, each its own member', async () => {
    const keyPrefix = prefix();
    const beats = [0, 1, 2].map(async () => new FleetHeartbeat(await client(), { keyPrefix }));
    const [a, b, c] = await Promise.all(beats);
    if (a === undefined || b === undefined || c === undefined) throw new Error('three beats');
    expect(a.size()).toBe(1);
    expect(await a.beat()).toBe(1);
    expect(await b.beat()).toBe(2);
    expect(await c.beat()).toBe(3);
    expect(await a.beat()).toBe(3);
    // Another prefix is another fleet.
    expect(await new FleetHeartbeat(await client(), { keyPrefix: prefix() }).beat()).toBe(1);
  });

  it('an instance that stops leaves at once; a silent one after its TTL', async () => {
    const keyPrefix = prefix();
    let now = 1_700_000_000_000;
    const clock = () => now;
    const a = new FleetHeartbeat(await client(), { keyPrefix, clock, ttlMs: 10_000 });
    const b = new FleetHeartbeat(await client(), { keyPrefix, clock, ttlMs: 10_000 });
    const c = new FleetHeartbeat(await client(), { keyPrefix, clock, ttlMs: 10_000 });
    await a.beat();
    await b.beat();
    expect(await c.beat()).toBe(3);
    await c.stop();
    expect(await a.beat()).toBe(2);
    now += 10_001; // b fell silent
    expect(await a.beat()).toBe(1);
  });

  it('keeps the size learned while Redis answered when it stops answering', async () => {
    const keyPrefix = prefix();
    const dying = await client();
    const a = new FleetHeartbeat(dying, { keyPrefix });
    const b = new FleetHeartbeat(await client(), { keyPrefix });
    await b.beat();
    expect(await a.beat()).toBe(2);
    dying.disconnect();
    expect(await a.beat()).toBe(2);
    expect(a.size()).toBe(2);
  });

  it('refuses a key prefix with a brace (it would break the hash tag)', async () => {
    const c = await client();
    expect(() => new FleetHeartbeat(c, { keyPrefix: 'a{b' })).toThrow(/braces/);
  });
});
