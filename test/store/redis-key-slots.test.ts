import clusterKeySlot from 'cluster-key-slot';
import { afterAll, describe, expect, it } from 'vitest';
import { hashAccount } from '../../src/detection/account-key.ts';
import { toClientKey } from '../../src/detection/client-ip.ts';
import { FleetHeartbeat, type RedisClient, RedisCounterStore } from '../../src/store/index.ts';
import { accountFailure, BOT, BRUTE_FORCE, GUARD } from './counter-store.contract.ts';
import {
  connectTestRedis,
  deleteKeys,
  IS_CI,
  REDIS_URL,
  uniquePrefix,
} from './redis-test-client.ts';

// Issue 13: no CROSSSLOT, ever. Every command the store and the fleet heartbeat send is
// recorded on its way to a real Redis, and the slot of each key it names is computed with the
// function ioredis routes by: one command, one slot, for every operation and odd inputs.

/** One command as sent: the store operation that sent it, its name and the keys it names. */
interface SentCommand {
  readonly operation: string;
  readonly command: string;
  readonly keys: readonly string[];
}

/** Keys a command names: `numkeys` of them for EVAL/EVALSHA, the first argument otherwise. */
function keysOf(command: string, args: readonly unknown[]): string[] {
  if (command === 'eval' || command === 'evalsha') {
    const count = Number(args[1]);
    return args.slice(2, 2 + count).map(String);
  }
  return args.length > 0 ? [String(args[0])] : [];
}

const KEYED = new Set([
  'eval',
  'evalsha',
  'get',
  'zadd',
  'zrem',
  'zrange',
  'zrangebyscore',
  'zremrangebyscore',
  'zcount',
  'del',
  'set',
]);

/** `client`, except that each keyed command is recorded (then sent as is). */
function recording(client: RedisClient, sent: SentCommand[], operation: () => string): RedisClient {
  return new Proxy(client, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      if (typeof property !== 'string' || !KEYED.has(property)) return value.bind(target);
      return (...args: unknown[]) => {
        sent.push({ operation: operation(), command: property, keys: keysOf(property, args) });
        return value.apply(target, args);
      };
    },
  });
}

const client = await connectTestRedis();

if (client === null) {
  if (IS_CI) {
    it('Redis is reachable (required under CI)', () => {
      throw new Error(`Redis unreachable at ${REDIS_URL}; CI must provide it`);
    });
  } else {
    describe.skip(`key slots: skipped, Redis unreachable at ${REDIS_URL}`, () => {
      it('needs Redis', () => {});
    });
  }
} else {
  const prefix = uniquePrefix();
  afterAll(async () => {
    await deleteKeys(client, prefix);
    client.disconnect();
  });

  describe('every Redis command of the store names keys of one slot', () => {
    const sent: SentCommand[] = [];
    let current = '';
    const redis = recording(client, sent, () => current);
    const store = new RedisCounterStore(redis, { keyPrefix: prefix, throttleCacheMs: 0 });
    const now = Date.now();
    // Inputs a client can bring: IPv4, IPv6 folded to /64, an unparsable forwarded value with
    // braces (kept as is), and accounts as the detector sends them (hashed) or with odd bytes.
    const ipKeys = [
      toClientKey('198.51.100.7'),
      toClientKey('2001:db8:1:2:3:4:5:6'),
      toClientKey('::ffff:203.0.113.9'),
      toClientKey('}{not-an-ip}{'),
      toClientKey('a,b;c|d%e'),
    ];
    const accounts = [
      hashAccount('alice@example.com'),
      'raw}{brace@example.com',
      'comma,semi;pipe|pct%@example.com',
      'ünïcödé@example.com',
    ];

    async function run(operation: string, call: () => Promise<unknown>): Promise<void> {
      current = operation;
      await call();
    }

    it('sends each operation over keys of one slot (all scripts, the directories, the fleet)', async () => {
      for (const ipKey of ipKeys) {
        for (const account of accounts) {
          const base = { ipKey, now, bruteForce: BRUTE_FORCE, isExempt: false };
          let reservation: string | null = null;
          await run('precheckIp', async () => {
            const pre = await store.precheckIp({ ...base, account, botActivity: BOT });
            reservation = pre.reservation;
          });
          await run('recordIp', () =>
            store.recordIp({ ...base, account, reservation, outcome: 'failure' }),
          );
          await run('precheckAccount', () =>
            store.precheckAccount({ account, ipKey, now, guard: GUARD, knownIpTtlMs: 86_400_000 }),
          );
          for (let i = 0; i < 20; i += 1) {
            await run('recordAccount', () =>
              store.recordAccount(accountFailure(account, `${ipKey}-${i % 5}`, now + i)),
            );
          }
          await run('recordAccount', () =>
            store.recordAccount({
              ...accountFailure(account, ipKey, now),
              outcome: 'success',
              deviceId: 'd1',
            }),
          );
        }
        await run('setBlock', () =>
          store.setBlock({
            ipKey,
            rule: 'manual',
            reason: 'test',
            evidence: { count: 1, limit: 1, windowMs: 1 },
            now,
            blockMs: 60_000,
            manual: true,
          }),
        );
        await run('getBlock', () => store.getBlock(ipKey, now));
        await run('listBlocks', () => store.listBlocks(now));
        await run('countBlocks', () => store.countBlocks(now));
        await run('unblock', () => store.unblock(ipKey, now));
      }
      await run('countRefresh', () =>
        store.countRefresh({ userId: 'u}{1', now, windowMs: 60_000 }),
      );
      await run('precheckAccount', () =>
        store.precheckAccount({
          account: 'x',
          ipKey: 'y',
          now,
          guard: GUARD,
          knownIpTtlMs: 1,
          onlyIfThrottled: true,
        }),
      );
      const fleet = new FleetHeartbeat(redis, { keyPrefix: prefix });
      await run('fleetHeartbeat', () => fleet.beat());
      await run('fleetHeartbeat', () => fleet.stop());

      const scripted = new Set(
        sent.filter((c) => c.command.startsWith('eval')).map((c) => c.operation),
      );
      // Every Lua script of the store and the heartbeat was exercised at least once.
      expect([...scripted].sort()).toEqual(
        [
          'countRefresh',
          'fleetHeartbeat',
          'precheckAccount',
          'precheckIp',
          'recordAccount',
          'recordIp',
          'setBlock',
          'unblock',
        ].sort(),
      );
      const crossSlot = sent.filter(
        (c) => c.keys.length > 1 && clusterKeySlot.generateMulti(c.keys) === -1,
      );
      expect(crossSlot).toEqual([]);
      // A multi-key script names keys of one hash tag, not merely keys that happen to collide.
      const multi = sent.filter((c) => c.keys.length > 1);
      expect(multi.length).toBeGreaterThan(0);
      for (const c of multi) {
        const tags = new Set(c.keys.map((k) => /\{([^}]*)\}/.exec(k)?.[1]));
        expect(tags.size, JSON.stringify(c)).toBe(1);
      }
      // Every command names at least one key (a keyless EVAL would go to a random node).
      expect(sent.filter((c) => c.keys.length === 0)).toEqual([]);
    });

    it('the slot function agrees with Redis: keys of one tag share a slot, others spread', () => {
      expect(clusterKeySlot('fa:{ip:1.2.3.4}:s')).toBe(clusterKeySlot('{ip:1.2.3.4}'));
      expect(clusterKeySlot.generateMulti(['fa:{acct:a}:fail', 'fa:{acct:a}:known'])).not.toBe(-1);
      expect(clusterKeySlot.generateMulti(['fa:{acct:a}:fail', 'fa:{acct:b}:fail'])).toBe(-1);
      // Redis's documented example: slot of "123456789" (CRC16-XMODEM 0x31C3) mod 16384.
      expect(clusterKeySlot('123456789')).toBe(0x31c3 % 16384);
    });
  });
}
