import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  createDetector,
  DEFAULT_POLICY,
  type DetectionPolicy,
  parseNetset,
  SeedLists,
} from '../../src/detection/index.ts';
import { type CounterStore, MemoryCounterStore, RedisCounterStore } from '../../src/store/index.ts';
import {
  connectTestRedis,
  deleteKeys,
  IS_CI,
  REDIS_URL,
  uniquePrefix,
} from '../store/redis-test-client.ts';
import { attempt, fakeClock, recordingBus } from './helpers.ts';

const client = await connectTestRedis();
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const dir = mkdtempSync(join(tmpdir(), 'flux-reputation-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  client?.disconnect();
});

function setup(
  policy: DetectionPolicy = DEFAULT_POLICY,
  store: CounterStore = new MemoryCounterStore(),
  seedLists?: SeedLists,
) {
  const clock = fakeClock();
  const { bus } = recordingBus();
  const detector = createDetector({
    store,
    policy: () => policy,
    bus,
    clock: clock.now,
    seedLists,
  });
  /** Wrong logins from `ip` until one is refused: how many reached the password check. */
  async function failuresUntilBlocked(ip: string): Promise<number> {
    for (let failures = 0; failures < 20; failures += 1) {
      const decision = await detector.precheck(attempt('login', clock.now(), { ip }));
      if (decision.action === 'block') return failures;
      await detector.record(decision.ticket, { kind: 'login_failed' });
    }
    throw new Error('never blocked');
  }
  return { detector, clock, failuresUntilBlocked };
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('IP reputation tightens the brute_force limit (fake clock)', () => {
  it('fresh: 5 failures; after two brute-force blocks: 3 (halved, rounded up); after three: 1', async () => {
    const { detector, clock, failuresUntilBlocked } = setup();
    const ip = '198.51.100.2';
    expect(await failuresUntilBlocked(ip)).toBe(5);
    clock.advance(HOUR + 1000); // the block (1 h) is over; score 30 decays a little
    expect(await failuresUntilBlocked(ip)).toBe(5);
    await settle();
    const twice = await detector.reputationOf(ip);
    expect(twice.score).toBeGreaterThanOrEqual(50);
    expect(twice.reasons.map((r) => r.type)).toEqual(['brute_force', 'brute_force']);
    clock.advance(HOUR + 1000);
    expect(await failuresUntilBlocked(ip)).toBe(3);
    await settle();
    expect((await detector.reputationOf(ip)).score).toBeGreaterThanOrEqual(80);
    clock.advance(HOUR + 1000);
    expect(await failuresUntilBlocked(ip)).toBe(1);
    // A fresh IP is untouched by its neighbour's history.
    expect(await failuresUntilBlocked('198.51.100.3')).toBe(5);
  });

  it('monitor mode keeps and shows the score but never tightens', async () => {
    const policy = {
      ...DEFAULT_POLICY,
      reputation: { ...DEFAULT_POLICY.reputation, mode: 'monitor' as const },
    };
    const { detector, clock, failuresUntilBlocked } = setup(policy);
    const ip = '198.51.100.4';
    for (let i = 0; i < 3; i += 1) {
      expect(await failuresUntilBlocked(ip)).toBe(5);
      clock.advance(HOUR + 1000);
      await settle();
    }
    const rep = await detector.reputationOf(ip);
    expect(rep.score).toBeGreaterThanOrEqual(80);
    expect(rep.level).toBe(0);
  });
});

describe('reputation scores decay: half in one half-life', () => {
  async function checkDecay(store: CounterStore, ipKey: string) {
    const now = 1_700_000_000_000;
    const input = {
      ipKey,
      now,
      type: 'brute_force',
      points: 40,
      halfLifeMs: DAY,
      thresholds: [50],
    };
    expect((await store.addReputation(input)).score).toBe(40);
    expect((await store.getReputation(ipKey, now + DAY, DAY)).score).toBeCloseTo(20, 6);
    expect((await store.getReputation(ipKey, now + 2 * DAY, DAY)).score).toBeCloseTo(10, 6);
    // Added on top of the decayed score, capped at 100.
    const later = { ...input, now: now + DAY, points: 90 };
    expect((await store.addReputation(later)).score).toBe(100);
    const reasons = (await store.getReputation(ipKey, now + DAY, DAY)).reasons;
    expect(reasons).toEqual([
      { type: 'brute_force', points: 90, at: now + DAY },
      { type: 'brute_force', points: 40, at: now },
    ]);
    expect(store.isReputationAtLeast(ipKey, 50, now + DAY)).toBe(true);
    // 100 at +1 day is 50 at +2 days, and under 50 an hour later.
    expect(store.isReputationAtLeast(ipKey, 50, now + 2 * DAY - HOUR)).toBe(true);
    expect(store.isReputationAtLeast(ipKey, 50, now + 2 * DAY + HOUR)).toBe(false);
    expect(store.isReputationAtLeast('203.0.113.250', 50, now)).toBe(false);
    // An operator's unblock clears the score, here and in the index.
    await store.unblock(ipKey, now + DAY);
    expect((await store.getReputation(ipKey, now + DAY, DAY)).score).toBe(0);
    expect(store.isReputationAtLeast(ipKey, 50, now + DAY)).toBe(false);
  }

  it('memory store', async () => {
    await checkDecay(new MemoryCounterStore(), '192.0.2.10');
  });

  if (client === null) {
    it.runIf(IS_CI)('Redis is reachable (required under CI)', () => {
      throw new Error(`Redis unreachable at ${REDIS_URL}; CI must provide it`);
    });
  } else {
    const prefix = uniquePrefix();
    afterAll(async () => {
      await deleteKeys(client, prefix);
    });
    it('Redis store (shared by instances: a second store sees the score after its index refresh)', async () => {
      const store = new RedisCounterStore(client, { keyPrefix: prefix });
      await checkDecay(store, '192.0.2.11');
      const now = 1_700_000_000_000;
      const input = { ipKey: '192.0.2.12', now, type: 'bot_activity', points: 60, halfLifeMs: DAY };
      await store.addReputation({ ...input, thresholds: [50] });
      const other = new RedisCounterStore(client, { keyPrefix: prefix });
      other.isReputationAtLeast('192.0.2.12', 50, now); // starts the first read
      await vi.waitFor(() => expect(other.isReputationAtLeast('192.0.2.12', 50, now)).toBe(true));
    });
  }
});

describe('seed lists (REPUTATION_LISTS)', () => {
  it('a malformed line is reported with its file and line number; the rest loads', () => {
    const text =
      '# FireHOL style\n203.0.113.0/24\n\n10.0.0.300\n198.51.100.9 ; one host\n2001:db8::/32\n';
    const { entries, problems } = parseNetset('bad.netset', text);
    expect(entries).toEqual(['203.0.113.0/24', '198.51.100.9', '2001:db8::/32']);
    expect(problems).toEqual(['bad.netset:4: not an IP address or CIDR range: "10.0.0.300"']);
  });

  it('a listed IP starts at listedScore (halved limits); an edit applies without a restart', async () => {
    const path = join(dir, 'bad.netset');
    writeFileSync(path, '203.0.113.0/24\nnot-an-ip\n');
    const problems: string[] = [];
    const lists = new SeedLists({ paths: [path], onProblem: (p) => problems.push(p) });
    lists.watch(20);
    try {
      expect(problems).toEqual([`${path}:2: not an IP address or CIDR range: "not-an-ip"`]);
      const { detector, failuresUntilBlocked } = setup(
        DEFAULT_POLICY,
        new MemoryCounterStore(),
        lists,
      );
      expect(await detector.reputationOf('203.0.113.5')).toMatchObject({
        score: 60,
        listed: true,
        level: 1,
      });
      expect(await failuresUntilBlocked('203.0.113.5')).toBe(3);
      expect(await failuresUntilBlocked('198.51.100.50')).toBe(5);
      writeFileSync(path, '198.51.100.0/24\n# 203.0.113.0/24 delisted\n');
      await vi.waitFor(
        async () => expect((await detector.reputationOf('198.51.100.51')).listed).toBe(true),
        { timeout: 5000 },
      );
      expect((await detector.reputationOf('203.0.113.6')).listed).toBe(false);
      expect(await failuresUntilBlocked('198.51.100.52')).toBe(3);
    } finally {
      lists.close();
    }
  });
});

describe('an operator unblock is a pardon', () => {
  it('lifting a block clears the IP reputation too: a fresh start at 5', async () => {
    const { detector, clock, failuresUntilBlocked } = setup();
    const ip = '198.51.100.80';
    expect(await failuresUntilBlocked(ip)).toBe(5);
    clock.advance(HOUR + 1000);
    expect(await failuresUntilBlocked(ip)).toBe(5);
    await settle();
    expect((await detector.reputationOf(ip)).level).toBe(1);
    expect(await detector.unblockIp(ip)).toBe(true);
    expect(await detector.reputationOf(ip)).toMatchObject({ score: 0, level: 0, reasons: [] });
    expect(await failuresUntilBlocked(ip)).toBe(5);
  });
});

describe('unblock from another process (the CLI) clears the fleet index', () => {
  it.runIf(client !== null)(
    'a store that never read the index still removes the key from it',
    async () => {
      if (client === null) return;
      const prefix = uniquePrefix();
      try {
        const server = new RedisCounterStore(client, { keyPrefix: prefix });
        const now = 1_700_000_000_000;
        const input = {
          ipKey: '192.0.2.40',
          now,
          type: 'brute_force',
          points: 90,
          halfLifeMs: DAY,
        };
        await server.addReputation({ ...input, thresholds: [50, 80] });
        expect(server.isReputationAtLeast('192.0.2.40', 80, now)).toBe(true);
        const cli = new RedisCounterStore(client, { keyPrefix: prefix });
        await cli.unblock('192.0.2.40', now);
        const fresh = new RedisCounterStore(client, { keyPrefix: prefix });
        fresh.isReputationAtLeast('192.0.2.40', 50, now);
        fresh.isReputationAtLeast('192.0.2.40', 80, now);
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(await client.zcard(`${prefix}reputation:50`)).toBe(0);
        expect(await client.zcard(`${prefix}reputation:80`)).toBe(0);
        expect(fresh.isReputationAtLeast('192.0.2.40', 50, now)).toBe(false);
      } finally {
        await deleteKeys(client, prefix);
      }
    },
  );
});
