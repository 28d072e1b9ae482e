import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type {
  AccountGuardLimits,
  CounterStore,
  IpPrecheckInput,
  IpRecordInput,
  IpRuleLimits,
} from '../../src/store/index.ts';

/** Origin thresholds: brute force 5 / 5 min → 1 h; bot 50 / 1 min → 30 min. */
export const BRUTE_FORCE: IpRuleLimits = {
  limit: 5,
  windowMs: 300_000,
  blockMs: 3_600_000,
  isEnforced: true,
};
export const BOT: IpRuleLimits = {
  limit: 50,
  windowMs: 60_000,
  blockMs: 1_800_000,
  isEnforced: true,
};
export const GUARD: AccountGuardLimits = {
  failureLimit: 20,
  distinctIpLimit: 5,
  windowMs: 900_000,
  throttleMs: 900_000,
};
const T0 = 1_700_000_000_000;
const DAY = 86_400_000;

/** A fresh IP key per test, so tests share a store without sharing counters. */
function freshIp(): string {
  return `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${randomUUID().slice(0, 4)}`;
}

function login(ipKey: string, account: string, now: number, extra: Partial<IpPrecheckInput> = {}) {
  return {
    ipKey,
    now,
    account,
    bruteForce: BRUTE_FORCE,
    botActivity: BOT,
    isExempt: false,
    ...extra,
  };
}

function settle(
  ipKey: string,
  account: string,
  reservation: string | null,
  outcome: IpRecordInput['outcome'],
  now: number,
): IpRecordInput {
  return { ipKey, account, reservation, outcome, now, bruteForce: BRUTE_FORCE, isExempt: false };
}

/** Fails `count` logins in a row (precheck then failure), one second apart from `start`. */
async function failTimes(
  store: CounterStore,
  ipKey: string,
  account: string,
  count: number,
  start: number,
) {
  for (let i = 0; i < count; i += 1) {
    const pre = await store.precheckIp(login(ipKey, account, start + i * 1000));
    expect(pre.reservation).not.toBeNull();
    await store.recordIp(settle(ipKey, account, pre.reservation, 'failure', start + i * 1000));
  }
}

/** The one behaviour contract every `CounterStore` passes; `getStore` runs per test. */
export function describeCounterStoreContract(name: string, getStore: () => CounterStore): void {
  describe(`CounterStore contract: ${name}`, () => {
    describe('peekIp (read only)', () => {
      it('counts requests, failures and pending reservations in their windows, writes nothing', async () => {
        const store = getStore();
        const ip = freshIp();
        const windows = { botWindowMs: BOT.windowMs, bruteWindowMs: BRUTE_FORCE.windowMs };
        expect(await store.peekIp({ ipKey: ip, now: T0, ...windows })).toEqual({
          requests: 0,
          failures: 0,
          pending: 0,
        });
        await failTimes(store, ip, 'acctP', 2, T0);
        await store.precheckIp(login(ip, 'acctP', T0 + 5000)); // pending
        await store.precheckIp(login(ip, 'acctP', T0 + 6000, { account: null })); // signup
        const now = T0 + 7000;
        const peek = { ipKey: ip, now, ...windows };
        expect(await store.peekIp(peek)).toEqual({ requests: 4, failures: 2, pending: 1 });
        expect(await store.peekIp(peek)).toEqual({ requests: 4, failures: 2, pending: 1 });
        // Past the bot window (1 min) only the failures remain; the pending one is stale by now.
        const later = { ...peek, now: T0 + 120_000 };
        expect(await store.peekIp(later)).toEqual({ requests: 0, failures: 3, pending: 0 });
      });
    });

    describe('brute force (reserve before check)', () => {
      it('allows 5 sequential wrong logins, blocks on the 5th failure for 1 h', async () => {
        const store = getStore();
        const ip = freshIp();
        await failTimes(store, ip, 'acctA', 4, T0);
        const fifth = await store.precheckIp(login(ip, 'acctA', T0 + 10_000));
        expect(fifth.reservation).not.toBeNull();
        const rec = await store.recordIp(
          settle(ip, 'acctA', fifth.reservation, 'failure', T0 + 10_000),
        );
        expect(rec.failures).toBe(5);
        expect(rec.block?.rule).toBe('brute_force');
        expect(rec.block?.expiresAt).toBe(T0 + 10_000 + 3_600_000);
        expect(rec.block?.evidence).toEqual({ count: 5, limit: 5, windowMs: 300_000 });
        const sixth = await store.precheckIp(login(ip, 'acctA', T0 + 11_000));
        expect(sixth.block?.rule).toBe('brute_force');
        expect(sixth.reservation).toBeNull();
        const later = await store.precheckIp(login(ip, 'acctA', T0 + 10_000 + 3_600_001));
        expect(later.block).toBeNull();
      });

      it('lets exactly 5 of 1,000 concurrent logins through', async () => {
        const store = getStore();
        const ip = freshIp();
        const results = await Promise.all(
          Array.from({ length: 1000 }, (_, i) => store.precheckIp(login(ip, `acct${i % 7}`, T0))),
        );
        const reserved = results.filter((r) => r.reservation !== null);
        expect(reserved).toHaveLength(5);
        expect(results.filter((r) => r.isBusy || r.block !== null)).toHaveLength(995);
        await Promise.all(
          reserved.map((r, i) =>
            store.recordIp(settle(ip, `acct${i % 7}`, r.reservation, 'failure', T0 + 1)),
          ),
        );
        // The bot rule (51st request in a minute) blocked the IP during the burst.
        expect((await store.getBlock(ip, T0 + 2))?.rule).toBe('bot_activity');
      });

      it('blocks on the 6th of 6 concurrent logins once the 5 reserved ones fail', async () => {
        const store = getStore();
        const ip = freshIp();
        const first = await Promise.all(
          Array.from({ length: 6 }, () => store.precheckIp(login(ip, 'acctA', T0))),
        );
        const reserved = first.filter((r) => r.reservation !== null);
        expect(reserved).toHaveLength(5);
        await Promise.all(
          reserved.map((r) =>
            store.recordIp(settle(ip, 'acctA', r.reservation, 'failure', T0 + 1)),
          ),
        );
        expect((await store.getBlock(ip, T0 + 2))?.rule).toBe('brute_force');
      });

      it('does not block a NAT neighbour while reservations are only pending', async () => {
        const store = getStore();
        const ip = freshIp();
        for (let i = 0; i < 5; i += 1) await store.precheckIp(login(ip, `user${i}`, T0));
        const sixth = await store.precheckIp(login(ip, 'user6', T0 + 1));
        expect(sixth.isBusy).toBe(true);
        expect(sixth.block).toBeNull();
        expect(await store.getBlock(ip, T0 + 1)).toBeNull();
      });

      it('counts a reservation that never got an outcome as a failure after the pending TTL', async () => {
        const store = getStore();
        const ip = freshIp();
        for (let i = 0; i < 5; i += 1) await store.precheckIp(login(ip, 'acctA', T0));
        const next = await store.precheckIp(login(ip, 'acctA', T0 + 60_000));
        expect(next.failures).toBe(5);
        expect(next.block?.rule).toBe('brute_force');
      });

      it('forgets failures older than the window', async () => {
        const store = getStore();
        const ip = freshIp();
        await failTimes(store, ip, 'acctA', 4, T0);
        const pre = await store.precheckIp(login(ip, 'acctA', T0 + 300_000 + 5_000));
        expect(pre.failures).toBe(0);
      });

      it('typos, success, typos: the success clears that account, nobody is blocked', async () => {
        const store = getStore();
        const ip = freshIp();
        await failTimes(store, ip, 'acctA', 4, T0);
        const ok = await store.precheckIp(login(ip, 'acctA', T0 + 5000));
        const rec = await store.recordIp(settle(ip, 'acctA', ok.reservation, 'success', T0 + 5000));
        expect(rec.cleared).toBe(4);
        expect(rec.failures).toBe(0);
        await failTimes(store, ip, 'acctA', 2, T0 + 6000);
        const next = await store.precheckIp(login(ip, 'acctA', T0 + 9000));
        expect(next.block).toBeNull();
        expect(next.failures).toBe(2);
      });

      it('a success clears only the failures against the same account', async () => {
        const store = getStore();
        const ip = freshIp();
        await failTimes(store, ip, 'victim', 4, T0);
        const own = await store.precheckIp(login(ip, 'attacker', T0 + 5000));
        const rec = await store.recordIp(
          settle(ip, 'attacker', own.reservation, 'success', T0 + 5000),
        );
        expect(rec.cleared).toBe(0);
        expect(rec.failures).toBe(4);
        const fifth = await store.precheckIp(login(ip, 'victim', T0 + 6000));
        const last = await store.recordIp(
          settle(ip, 'victim', fifth.reservation, 'failure', T0 + 6000),
        );
        expect(last.block?.rule).toBe('brute_force');
      });

      it('a release gives the slot back without counting a failure', async () => {
        const store = getStore();
        const ip = freshIp();
        for (let i = 0; i < 10; i += 1) {
          const pre = await store.precheckIp(login(ip, 'acctA', T0 + i));
          await store.recordIp(settle(ip, 'acctA', pre.reservation, 'release', T0 + i));
        }
        expect((await store.precheckIp(login(ip, 'acctA', T0 + 20))).failures).toBe(0);
      });

      it('monitor mode counts past the limit without blocking', async () => {
        const store = getStore();
        const ip = freshIp();
        const monitor = { ...BRUTE_FORCE, isEnforced: false };
        for (let i = 0; i < 7; i += 1) {
          const pre = await store.precheckIp(login(ip, 'acctA', T0 + i, { bruteForce: monitor }));
          expect(pre.reservation).not.toBeNull();
          expect(pre.monitored.includes('brute_force')).toBe(i >= 5);
          const rec = await store.recordIp({
            ...settle(ip, 'acctA', pre.reservation, 'failure', T0 + i),
            bruteForce: monitor,
          });
          expect(rec.block).toBeNull();
          expect(rec.isMonitored).toBe(i >= 4);
        }
        expect(await store.getBlock(ip, T0 + 10)).toBeNull();
      });

      it('an exempt IP ignores blocks and is never blocked', async () => {
        const store = getStore();
        const ip = freshIp();
        await store.setBlock(manualBlock(ip, T0));
        for (let i = 0; i < 8; i += 1) {
          const pre = await store.precheckIp(login(ip, 'acctA', T0 + i, { isExempt: true }));
          expect(pre.block).toBeNull();
          expect(pre.reservation).not.toBeNull();
          const rec = await store.recordIp({
            ...settle(ip, 'acctA', pre.reservation, 'failure', T0 + i),
            isExempt: true,
          });
          expect(rec.block).toBeNull();
        }
      });
    });

    describe('bot activity', () => {
      it('55 concurrent signups: exactly 50 pass, the 51st blocks for 30 min', async () => {
        const store = getStore();
        const ip = freshIp();
        const results = await Promise.all(
          Array.from({ length: 55 }, () => store.precheckIp(login(ip, '', T0, { account: null }))),
        );
        expect(results.filter((r) => r.block === null)).toHaveLength(50);
        const created = results.filter((r) => r.isBlockCreated);
        expect(created).toHaveLength(1);
        expect(created[0]?.block?.rule).toBe('bot_activity');
        expect(created[0]?.block?.expiresAt).toBe(T0 + 1_800_000);
        expect(created[0]?.block?.evidence).toEqual({ count: 51, limit: 50, windowMs: 60_000 });
      });

      it('counts signups and logins in one window, sliding', async () => {
        const store = getStore();
        const ip = freshIp();
        for (let i = 0; i < 50; i += 1) {
          const r = await store.precheckIp(
            login(ip, i % 2 === 0 ? 'a' : '', T0 + i * 1000, {
              account: i % 2 === 0 ? `a${i}` : null,
            }),
          );
          if (r.reservation !== null) {
            await store.recordIp(settle(ip, `a${i}`, r.reservation, 'release', T0 + i * 1000));
          }
          expect(r.block).toBeNull();
        }
        // 10 s past the first request's window: 11 entries slid out.
        const later = await store.precheckIp(login(ip, '', T0 + 70_000, { account: null }));
        expect(later.requests).toBe(40);
      });
    });

    describe('blocks', () => {
      it('sets, lists, and unblocks (which clears the failure window)', async () => {
        const store = getStore();
        const ip = freshIp();
        await failTimes(store, ip, 'acctA', 3, T0);
        const block = await store.setBlock(manualBlock(ip, T0));
        expect(block).toMatchObject({ ipKey: ip, manual: true, expiresAt: T0 + DAY });
        expect((await store.precheckIp(login(ip, 'acctA', T0 + 1))).block?.manual).toBe(true);
        const listed = await store.listBlocks(T0 + 2);
        expect(listed.find((b) => b.ipKey === ip)).toMatchObject({ rule: 'manual', manual: true });
        expect(await store.unblock(ip, T0 + 3)).toBe(true);
        expect(await store.getBlock(ip, T0 + 3)).toBeNull();
        expect((await store.precheckIp(login(ip, 'acctA', T0 + 4))).failures).toBe(0);
        expect((await store.listBlocks(T0 + 5)).find((b) => b.ipKey === ip)).toBeUndefined();
        expect(await store.unblock(ip, T0 + 6)).toBe(false);
      });

      it('drops expired blocks from the list', async () => {
        const store = getStore();
        const ip = freshIp();
        await store.setBlock({ ...manualBlock(ip, T0), blockMs: 1000 });
        expect((await store.listBlocks(T0 + 500)).some((b) => b.ipKey === ip)).toBe(true);
        expect((await store.listBlocks(T0 + 1000)).some((b) => b.ipKey === ip)).toBe(false);
      });

      it('counts active blocks: set, replaced, expired and lifted', async () => {
        const store = getStore();
        // Long after every other test's blocks expired: the counts are exact.
        const t = T0 + 400 * DAY;
        const [a, b] = [freshIp(), freshIp()];
        expect(await store.countBlocks(t)).toBe(0);
        await store.setBlock({ ...manualBlock(a, t), blockMs: 1000 });
        await store.setBlock({ ...manualBlock(b, t), blockMs: 5000 });
        expect(await store.countBlocks(t + 1)).toBe(2);
        // Replacing a block keeps one entry.
        await store.setBlock({ ...manualBlock(b, t + 2), blockMs: 5000 });
        expect(await store.countBlocks(t + 3)).toBe(2);
        expect(await store.countBlocks(t + 1000)).toBe(1);
        expect(await store.unblock(b, t + 1001)).toBe(true);
        expect(await store.countBlocks(t + 1002)).toBe(0);
      });
    });

    describe('accounts', () => {
      it('throttles after 20 failures from 5 distinct IPs, once', async () => {
        const store = getStore();
        const account = `acct-${randomUUID()}`;
        let started = 0;
        for (let i = 0; i < 20; i += 1) {
          const r = await store.recordAccount(accountFailure(account, `10.0.0.${i % 5}`, T0 + i));
          if (r.throttleStartedUntil > 0) started += 1;
          expect(r.failures).toBe(i + 1);
          expect(r.throttleStartedUntil > 0).toBe(i === 19);
        }
        const again = await store.recordAccount(accountFailure(account, '10.0.0.9', T0 + 30));
        expect(again.throttleStartedUntil).toBe(0);
        expect(started).toBe(1);
        const pre = await store.precheckAccount(accountPre(account, '10.0.0.1', T0 + 40));
        expect(pre).toEqual({
          throttledUntil: T0 + 19 + 900_000,
          isKnownIp: false,
          failures: 21,
          distinctIps: 6,
        });
        const after = await store.precheckAccount(
          accountPre(account, '10.0.0.1', T0 + 19 + 900_000),
        );
        expect(after.throttledUntil).toBe(0);
      });

      it('onlyIfThrottled: zeros for an idle account, the full read while throttled', async () => {
        const store = getStore();
        const account = `acct-${randomUUID()}`;
        await store.recordAccount(accountSuccess(account, '10.0.0.1', 'd1', T0));
        const quick = { ...accountPre(account, '10.0.0.1', T0 + 1), onlyIfThrottled: true };
        expect(await store.precheckAccount(quick)).toEqual({
          throttledUntil: 0,
          isKnownIp: false,
          failures: 0,
          distinctIps: 0,
        });
        for (let i = 0; i < 20; i += 1) {
          await store.recordAccount(accountFailure(account, `10.0.1.${i % 5}`, T0 + 10 + i));
        }
        const owner = await store.precheckAccount({ ...quick, now: T0 + 100 });
        expect(owner).toMatchObject({ throttledUntil: T0 + 29 + 900_000, isKnownIp: true });
        const stranger = await store.precheckAccount({
          ...accountPre(account, '10.0.9.9', T0 + 100),
          onlyIfThrottled: true,
        });
        expect(stranger).toMatchObject({ isKnownIp: false, failures: 20, distinctIps: 5 });
      });

      it('isSurelyUnthrottled: true for an idle account once looked at, never while throttled', async () => {
        const store = getStore();
        const account = `acct-${randomUUID()}`;
        await store.precheckAccount({
          ...accountPre(account, '10.0.0.1', T0),
          onlyIfThrottled: true,
        });
        expect(store.isSurelyUnthrottled(account, T0 + 1)).toBe(true);
        for (let i = 0; i < 20; i += 1) {
          await store.recordAccount(accountFailure(account, `10.0.1.${i % 5}`, T0 + 10 + i));
        }
        expect(store.isSurelyUnthrottled(account, T0 + 100)).toBe(false);
        expect(store.isSurelyUnthrottled(`acct-${randomUUID()}`, T0 + 100)).toBe(true);
      });

      it('does not throttle many failures from few IPs', async () => {
        const store = getStore();
        const account = `acct-${randomUUID()}`;
        for (let i = 0; i < 30; i += 1) {
          const r = await store.recordAccount(accountFailure(account, `10.0.0.${i % 4}`, T0 + i));
          expect(r.throttleStartedUntil).toBe(0);
        }
      });

      it('remembers known IPs, devices and the last login', async () => {
        const store = getStore();
        const account = `acct-${randomUUID()}`;
        const first = await store.recordAccount(accountSuccess(account, '10.0.0.1', 'd1', T0));
        expect(first).toMatchObject({ previousLogin: null, distinctDevices: 1, isNewDevice: true });
        const second = await store.recordAccount(
          accountSuccess(account, '10.0.0.2', 'd2', T0 + 10),
        );
        expect(second.previousLogin).toEqual({ ip: '10.0.0.1', ipKey: '10.0.0.1', at: T0 });
        const third = await store.recordAccount(accountSuccess(account, '10.0.0.2', 'd2', T0 + 20));
        expect(third).toMatchObject({ distinctDevices: 2, isNewDevice: false });
        const fourth = await store.recordAccount(
          accountSuccess(account, '10.0.0.3', 'd3', T0 + 30),
        );
        expect(fourth.distinctDevices).toBe(3);
        const hourLater = await store.recordAccount(
          accountSuccess(account, '10.0.0.3', 'd4', T0 + 3_600_025),
        );
        expect(hourLater.distinctDevices).toBe(2);
        expect(
          (await store.precheckAccount(accountPre(account, '10.0.0.1', T0 + 40))).isKnownIp,
        ).toBe(true);
        expect(
          (await store.precheckAccount(accountPre(account, '10.0.0.9', T0 + 40))).isKnownIp,
        ).toBe(false);
        const expired = await store.precheckAccount(accountPre(account, '10.0.0.1', T0 + 91 * DAY));
        expect(expired.isKnownIp).toBe(false);
      });
    });

    it('counts refreshes per user in a sliding window', async () => {
      const store = getStore();
      const userId = `user-${randomUUID()}`;
      for (let i = 1; i <= 10; i += 1) {
        expect(await store.countRefresh({ userId, now: T0 + i * 1000, windowMs: 600_000 })).toBe(i);
      }
      expect(await store.countRefresh({ userId, now: T0 + 601_500, windowMs: 600_000 })).toBe(10);
    });

    it('answers ping', async () => {
      await expect(getStore().ping()).resolves.toBeUndefined();
    });
  });
}

function manualBlock(ipKey: string, now: number) {
  return {
    ipKey,
    rule: 'manual',
    reason: 'blocked by admin',
    evidence: { count: 0, limit: 0, windowMs: 0 },
    now,
    blockMs: DAY,
    manual: true,
  };
}

function accountPre(account: string, ipKey: string, now: number) {
  return { account, ipKey, now, guard: GUARD, knownIpTtlMs: 90 * DAY };
}

/** A failed login's `recordAccount` input (default guard limits). */
export function accountFailure(account: string, ipKey: string, now: number) {
  return {
    account,
    ipKey,
    ip: ipKey,
    now,
    outcome: 'failure' as const,
    deviceId: null,
    guard: GUARD,
    knownIpTtlMs: 90 * DAY,
    knownIpMax: 50,
    devicesWindowMs: 3_600_000,
  };
}

function accountSuccess(account: string, ipKey: string, deviceId: string, now: number) {
  return { ...accountFailure(account, ipKey, now), outcome: 'success' as const, deviceId };
}
