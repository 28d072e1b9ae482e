import { describe, expect, it } from 'vitest';
import {
  BRUTE_FORCE_MESSAGE,
  createDetector,
  DEFAULT_POLICY,
  type DetectionPolicy,
  type Detector,
  LOGIN_BOT_MESSAGE,
  SIGNUP_BOT_MESSAGE,
} from '../../src/detection/index.ts';
import {
  type AccountPrecheckInput,
  type AccountPrecheckResult,
  MemoryCounterStore,
} from '../../src/store/index.ts';
import { attempt, fakeClock, recordingBus, ticketOf } from './helpers.ts';

function setup(policy: DetectionPolicy = DEFAULT_POLICY, store = new MemoryCounterStore()) {
  const clock = fakeClock();
  const { bus, events, flush } = recordingBus();
  let current = policy;
  const detector = createDetector({ store, policy: () => current, bus, clock: clock.now });
  return {
    detector,
    clock,
    events,
    flush,
    store,
    setPolicy: (p: DetectionPolicy) => (current = p),
  };
}

async function failLogin(detector: Detector, now: number, extra = {}) {
  const decision = await detector.precheck(attempt('login', now, extra));
  if (decision.action === 'allow') await detector.record(decision.ticket, { kind: 'login_failed' });
  return decision;
}

function withRule<K extends keyof DetectionPolicy['rules']>(
  rule: K,
  patch: Partial<DetectionPolicy['rules'][K]>,
  base: DetectionPolicy = DEFAULT_POLICY,
): DetectionPolicy {
  return { ...base, rules: { ...base.rules, [rule]: { ...base.rules[rule], ...patch } } };
}

describe('detector: brute force', () => {
  it('a blocked IP is refused before the request validation is asked for', async () => {
    const { detector, clock } = setup();
    for (let i = 0; i < 5; i += 1) await failLogin(detector, clock.now());
    let asked = 0;
    const isRefusedBeforeCheck = () => {
      asked += 1;
      return false;
    };
    const flood = await detector.precheck(attempt('login', clock.now(), { isRefusedBeforeCheck }));
    expect(flood).toMatchObject({ action: 'block', code: 'IP_BLOCKED' });
    expect(asked).toBe(0);
  });

  it('a login refused before any password check is counted but holds no slot', async () => {
    const { detector, clock } = setup();
    // Five logins in flight hold all five failure slots of this IP.
    for (let i = 0; i < 5; i += 1) ticketOf(await detector.precheck(attempt('login', clock.now())));
    const garbage = await detector.precheck(
      attempt('login', clock.now(), { isRefusedBeforeCheck: () => true }),
    );
    expect(ticketOf(garbage)).toMatchObject({ reservation: null, accountKey: null });
    const sixth = await detector.precheck(attempt('login', clock.now()));
    expect(sixth).toMatchObject({ action: 'block', code: 'RATE_LIMITED' });
  });

  it('a login wrongly flagged refused-before-check still counts when it fails', async () => {
    const { detector, clock } = setup();
    const flagged = { isRefusedBeforeCheck: () => true };
    for (let i = 0; i < 5; i += 1) {
      const decision = await detector.precheck(attempt('login', clock.now(), flagged));
      await detector.record(ticketOf(decision), { kind: 'login_failed' });
    }
    const next = await detector.precheck(attempt('login', clock.now()));
    expect(next).toMatchObject({ action: 'block', code: 'IP_BLOCKED' });
  });

  it('attempts 1-5 are allowed, the 6th is refused for about an hour', async () => {
    const { detector, clock, events, flush } = setup();
    for (let i = 0; i < 5; i += 1) {
      expect((await failLogin(detector, clock.now())).action).toBe('allow');
      clock.advance(1000);
    }
    const sixth = await detector.precheck(attempt('login', clock.now()));
    expect(sixth).toMatchObject({ action: 'block', rule: 'brute_force', code: 'IP_BLOCKED' });
    if (sixth.action !== 'block') throw new Error('unreachable');
    expect(sixth.message).toBe(BRUTE_FORCE_MESSAGE);
    expect(sixth.retryAfterSeconds).toBeGreaterThanOrEqual(3598);
    expect(sixth.retryAfterSeconds).toBeLessThanOrEqual(3600);
    await flush();
    const created = events.filter((e) => e.type === 'brute_force');
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ severity: 'high', ip: '203.0.113.7', rule: 'brute_force' });
    expect(created[0]?.details).toMatchObject({ failures: 5, limit: 5, windowMs: 300_000 });
  });

  it('four typos, a success, two typos: not blocked', async () => {
    const { detector, clock } = setup();
    for (let i = 0; i < 4; i += 1) await failLogin(detector, clock.now());
    const ok = await detector.precheck(attempt('login', clock.now()));
    await detector.record(ticketOf(ok), { kind: 'login_succeeded', userId: 'u1', deviceId: 'd1' });
    for (let i = 0; i < 2; i += 1) await failLogin(detector, clock.now());
    expect((await detector.precheck(attempt('login', clock.now()))).action).toBe('allow');
  });

  it('a success clears only that account: an attacker cannot reset with their own account', async () => {
    const { detector, clock } = setup();
    for (let i = 0; i < 4; i += 1)
      await failLogin(detector, clock.now(), { account: 'victim@example.com' });
    const own = await detector.precheck(
      attempt('login', clock.now(), { account: 'me@example.com' }),
    );
    await detector.record(ticketOf(own), { kind: 'login_succeeded', userId: 'me', deviceId: 'd' });
    await failLogin(detector, clock.now(), { account: 'victim@example.com' });
    const next = await detector.precheck(
      attempt('login', clock.now(), { account: 'victim@example.com' }),
    );
    expect(next).toMatchObject({ action: 'block', rule: 'brute_force' });
  });

  it('answers a flood from a blocked IP from the cache, with few events', async () => {
    const { detector, clock, events, flush, store } = setup();
    for (let i = 0; i < 5; i += 1) await failLogin(detector, clock.now());
    const spy = { calls: 0 };
    const original = store.precheckIp.bind(store);
    store.precheckIp = (input) => {
      spy.calls += 1;
      return original(input);
    };
    // A scanner's flood is refused before any other rule runs (no user-agent work either).
    const scanner = { userAgent: 'sqlmap/1.7.2' };
    for (let i = 0; i < 500; i += 1) {
      const flood = await detector.precheck(attempt('login', clock.now() + i, scanner));
      expect(flood.action).toBe('block');
    }
    expect(spy.calls).toBe(0);
    await flush();
    expect(events.filter((e) => e.type === 'suspicious_user_agent')).toHaveLength(0);
    clock.advance(1500);
    await detector.precheck(attempt('login', clock.now()));
    expect(spy.calls).toBe(1);
    await flush();
    // One row at the start of the flood, one (with the count) after it: all 501 counted.
    const rows = events.filter((e) => e.type === 'blocked_request');
    expect(rows).toHaveLength(2);
    expect(rows.reduce((sum, e) => sum + Number(e.details.count), 0)).toBe(501);
  });

  it('counts every refused request in some blocked_request row, even those of the blocking second', async () => {
    const { detector, clock, events, flush } = setup();
    for (let i = 0; i < 5; i += 1) await failLogin(detector, clock.now());
    for (let i = 6; i <= 20; i += 1) {
      expect((await failLogin(detector, clock.now())).action).toBe('block');
    }
    detector.flushEvents();
    await flush();
    const early = events.filter((e) => e.type === 'blocked_request');
    expect(early.reduce((sum, e) => sum + Number(e.details.count), 0)).toBe(1);
    clock.advance(1000);
    detector.flushEvents();
    await flush();
    // The 5th failure created the block: the 6th..20th are 15 refusals by an existing block.
    const rows = events.filter((e) => e.type === 'blocked_request');
    expect(rows.reduce((sum, e) => sum + Number(e.details.count), 0)).toBe(15);
    expect(rows.length).toBeLessThanOrEqual(2);
  });
});

describe('detector: bot activity', () => {
  it('55 concurrent signups: exactly 50 allowed, 5 refused with the signup text', async () => {
    const { detector, clock } = setup();
    const decisions = await Promise.all(
      Array.from({ length: 55 }, (_, i) =>
        detector.precheck(attempt('signup', clock.now(), { account: `u${i}@example.com` })),
      ),
    );
    expect(decisions.filter((d) => d.action === 'allow')).toHaveLength(50);
    const refused = decisions.filter((d) => d.action === 'block');
    expect(refused).toHaveLength(5);
    for (const d of refused)
      expect(d).toMatchObject({ rule: 'bot_activity', message: SIGNUP_BOT_MESSAGE });
  });

  it('on login the bot block uses the generic text', async () => {
    const { detector, clock } = setup(withRule('brute_force', { limit: 1000 }));
    let last = await detector.precheck(attempt('login', clock.now()));
    for (let i = 0; i < 51; i += 1) {
      last = await detector.precheck(
        attempt('login', clock.now(), { account: `x${i}@example.com` }),
      );
    }
    expect(last).toMatchObject({
      action: 'block',
      rule: 'bot_activity',
      message: LOGIN_BOT_MESSAGE,
    });
  });
});

describe('detector: routes, lists, modes', () => {
  it('token routes are not affected by an IP block', async () => {
    const { detector, clock } = setup();
    await detector.blockIp('203.0.113.7', { durationSeconds: 3600, reason: 'test' });
    expect((await detector.precheck(attempt('login', clock.now()))).action).toBe('block');
    for (const route of ['refresh', 'me', 'logout'] as const) {
      expect((await detector.precheck(attempt(route, clock.now(), { userId: 'u1' }))).action).toBe(
        'allow',
      );
    }
  });

  it('precheckFromMemory refuses only what needs no store: a denylisted IP, a cached block', async () => {
    const policy = { ...DEFAULT_POLICY, denylist: ['2001:db8::/32'] };
    const { detector, clock } = setup(policy);
    const now = clock.now();
    expect(detector.precheckFromMemory(attempt('login', now))).toBeNull();
    await detector.blockIp('203.0.113.7', { durationSeconds: 3600, reason: 'test' });
    // Blocked in the store but not cached on this instance yet: the store must be asked.
    expect(detector.precheckFromMemory(attempt('login', now))).toBeNull();
    const refused = await detector.precheck(attempt('login', now));
    expect(refused).toMatchObject({ action: 'block', code: 'IP_BLOCKED', retryAfterSeconds: 3600 });
    expect(detector.precheckFromMemory(attempt('login', now + 500))).toEqual(refused);
    expect(detector.precheckFromMemory(attempt('signup', now + 500))).toMatchObject({
      code: 'IP_BLOCKED',
    });
    // Token routes are never refused for an IP block; a denylisted IP is, on every route.
    expect(detector.precheckFromMemory(attempt('refresh', now + 500))).toBeNull();
    const denied = attempt('refresh', now, { ip: '2001:db8:9::1' });
    expect(detector.precheckFromMemory(denied)).toMatchObject({
      action: 'block',
      code: 'IP_BLOCKED',
      retryAfterSeconds: 86_400,
    });
    // Past the cache's second the store is asked again.
    expect(detector.precheckFromMemory(attempt('login', now + 1500))).toBeNull();
  });

  it('while one request refreshes a cached block from the store, the rest are still refused', async () => {
    const { detector, clock, store } = setup();
    const now = clock.now();
    await detector.blockIp('203.0.113.7', { durationSeconds: 3600, reason: 'test' });
    await detector.precheck(attempt('login', now));
    const later = now + 1500;
    // The first request past the second is sent to the store; the others meanwhile are not.
    expect(detector.precheckFromMemory(attempt('login', later))).toBeNull();
    for (let i = 0; i < 3; i += 1) {
      expect(detector.precheckFromMemory(attempt('login', later + i))).toMatchObject({
        code: 'IP_BLOCKED',
      });
    }
    // Lifted on another instance (straight in the store): the refresh finds no block, and
    // from then on this instance asks the store instead of answering from its copy.
    await store.unblock('203.0.113.7', later);
    const refreshed = await detector.precheck(attempt('login', later, { isMemoryChecked: true }));
    expect(refreshed.action).toBe('allow');
    expect(detector.precheckFromMemory(attempt('login', later + 10))).toBeNull();
    expect(detector.precheckFromMemory(attempt('login', later + 20))).toBeNull();
  });

  it('a refresh that never answers hands the store call to another request a second later', async () => {
    const { detector, clock } = setup();
    const now = clock.now();
    await detector.blockIp('203.0.113.7', { durationSeconds: 3600, reason: 'test' });
    await detector.precheck(attempt('login', now));
    expect(detector.precheckFromMemory(attempt('login', now + 1500))).toBeNull();
    expect(detector.precheckFromMemory(attempt('login', now + 2400))).not.toBeNull();
    expect(detector.precheckFromMemory(attempt('login', now + 2500))).toBeNull();
  });

  it('allowlisted IPs are never blocked but still recorded', async () => {
    const policy = { ...DEFAULT_POLICY, allowlist: ['203.0.113.0/24'] };
    const { detector, clock, events, flush } = setup(policy);
    for (let i = 0; i < 10; i += 1) {
      expect((await failLogin(detector, clock.now())).action).toBe('allow');
      clock.advance(2000);
    }
    await flush();
    const recorded = events.filter((e) => e.type === 'brute_force');
    expect(recorded.length).toBeGreaterThan(0);
    expect(recorded[0]?.details.mode).toBe('allowlisted');
  });

  it('denylisted IPs are always refused, with a long Retry-After', async () => {
    const policy = { ...DEFAULT_POLICY, denylist: ['2001:db8::/32'] };
    const { detector, clock, events, flush } = setup(policy);
    for (const route of ['login', 'signup', 'refresh'] as const) {
      const d = await detector.precheck(attempt(route, clock.now(), { ip: '2001:db8:9::1' }));
      expect(d).toMatchObject({ action: 'block', code: 'IP_BLOCKED', retryAfterSeconds: 86_400 });
    }
    await flush();
    expect(events.filter((e) => e.type === 'ip_denylisted')).toHaveLength(1);
  });

  it('monitor mode records what brute_force would have done and blocks nothing', async () => {
    const { detector, clock, events, flush } = setup(withRule('brute_force', { mode: 'monitor' }));
    for (let i = 0; i < 8; i += 1) {
      expect((await failLogin(detector, clock.now())).action).toBe('allow');
      clock.advance(2000);
    }
    await flush();
    const monitored = events.filter((e) => e.type === 'brute_force');
    expect(monitored.length).toBeGreaterThan(0);
    expect(monitored.every((e) => e.details.mode === 'monitor')).toBe(true);
  });

  it('a reloaded policy applies to the next request', async () => {
    const { detector, clock, setPolicy } = setup();
    setPolicy(withRule('brute_force', { limit: 1 }));
    await failLogin(detector, clock.now());
    expect((await detector.precheck(attempt('login', clock.now()))).action).toBe('block');
  });

  it('counts and blocks IPv6 clients per /64', async () => {
    const { detector, clock } = setup();
    for (let i = 1; i <= 5; i += 1)
      await failLogin(detector, clock.now(), { ip: `2001:db8:1:2::${i}` });
    const sameNet = await detector.precheck(
      attempt('login', clock.now(), { ip: '2001:db8:1:2:ffff::9' }),
    );
    expect(sameNet).toMatchObject({ action: 'block', rule: 'brute_force' });
    const otherNet = await detector.precheck(
      attempt('login', clock.now(), { ip: '2001:db8:1:3::1' }),
    );
    expect(otherNet.action).toBe('allow');
  });

  it('folds IPv4-mapped IPv6 onto the IPv4 address', async () => {
    const { detector, clock } = setup();
    for (let i = 0; i < 5; i += 1)
      await failLogin(detector, clock.now(), { ip: '::ffff:198.51.100.4' });
    expect(
      (await detector.precheck(attempt('login', clock.now(), { ip: '198.51.100.4' }))).action,
    ).toBe('block');
  });

  it('unblock lifts the block on this instance at once', async () => {
    const { detector, clock } = setup();
    for (let i = 0; i < 5; i += 1) await failLogin(detector, clock.now());
    expect((await detector.precheck(attempt('login', clock.now()))).action).toBe('block');
    expect((await detector.listBlocks()).map((b) => b.rule)).toEqual(['brute_force']);
    expect(await detector.unblockIp('203.0.113.7')).toBe(true);
    expect((await detector.precheck(attempt('login', clock.now()))).action).toBe('allow');
  });
});

describe('detector: events', () => {
  it('flags a suspicious user agent once per IP per minute, sanitised', async () => {
    const { detector, clock, events, flush } = setup();
    for (let i = 0; i < 3; i += 1) {
      await detector.precheck(
        attempt('signup', clock.now(), { userAgent: 'curl/8.0\r\nX-Evil: 1' }),
      );
    }
    await flush();
    const ua = events.filter((e) => e.type === 'suspicious_user_agent');
    expect(ua).toHaveLength(1);
    expect(ua[0]).toMatchObject({ severity: 'low', userAgent: 'curl/8.0X-Evil: 1' });
  });

  it('multiple_devices on the 3rd device in an hour, account_new_ip on an IP change', async () => {
    const { detector, clock, events, flush } = setup();
    for (const [ip, device] of [
      ['198.51.100.1', 'd1'],
      ['198.51.100.1', 'd2'],
      ['198.51.100.2', 'd3'],
    ]) {
      const d = await detector.precheck(attempt('login', clock.now(), { ip }));
      await detector.record(ticketOf(d), {
        kind: 'login_succeeded',
        userId: 'u1',
        deviceId: device ?? '',
      });
      clock.advance(60_000);
    }
    await flush();
    expect(events.filter((e) => e.type === 'multiple_devices')).toHaveLength(1);
    const takeover = events.filter((e) => e.type === 'account_new_ip');
    expect(takeover).toHaveLength(1);
    expect(takeover[0]).toMatchObject({ severity: 'low', userId: 'u1', ip: '198.51.100.2' });
    expect(takeover[0]?.details.previousIp).toBe('198.51.100.1');
  });

  it('rapid_token_refresh on the 10th refresh in 10 minutes', async () => {
    const { detector, clock, events, flush } = setup();
    for (let i = 0; i < 10; i += 1) {
      const d = await detector.precheck(attempt('refresh', clock.now()));
      await flush();
      expect(events.filter((e) => e.type === 'rapid_token_refresh')).toHaveLength(0);
      await detector.record(ticketOf(d), { kind: 'refreshed', userId: 'u1' });
      clock.advance(30_000);
    }
    await flush();
    const alerts = events.filter((e) => e.type === 'rapid_token_refresh');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ severity: 'high', userId: 'u1' });
  });

  it('account_guard throttles unknown IPs after stuffing, never the known owner', async () => {
    const { detector, clock, events, flush } = setup();
    const owner = await detector.precheck(attempt('login', clock.now(), { ip: '192.0.2.10' }));
    await detector.record(ticketOf(owner), {
      kind: 'login_succeeded',
      userId: 'u1',
      deviceId: 'd1',
    });
    for (let i = 0; i < 20; i += 1)
      await failLogin(detector, clock.now(), { ip: `198.51.100.${i % 5}` });
    const stranger = await detector.precheck(
      attempt('login', clock.now(), { ip: '198.51.100.200' }),
    );
    expect(stranger).toMatchObject({
      action: 'block',
      code: 'ACCOUNT_THROTTLED',
      rule: 'account_guard',
    });
    const known = await detector.precheck(attempt('login', clock.now(), { ip: '192.0.2.10' }));
    expect(known.action).toBe('allow');
    await flush();
    expect(events.some((e) => e.type === 'account_guard' && e.severity === 'high')).toBe(true);
  });

  it('a login reads the account from the store only while the account is throttled', async () => {
    class CountingStore extends MemoryCounterStore {
      accountReads = 0;
      override precheckAccount(input: AccountPrecheckInput): Promise<AccountPrecheckResult> {
        this.accountReads += 1;
        return super.precheckAccount(input);
      }
    }
    const store = new CountingStore();
    const { detector, clock } = setup(DEFAULT_POLICY, store);
    for (let i = 0; i < 19; i += 1)
      await failLogin(detector, clock.now(), { ip: `198.51.100.${i % 5}` });
    expect(store.accountReads).toBe(0);
    await failLogin(detector, clock.now(), { ip: '198.51.100.4' });
    const stranger = await detector.precheck(
      attempt('login', clock.now(), { ip: '198.51.100.200' }),
    );
    expect(stranger).toMatchObject({ action: 'block', code: 'ACCOUNT_THROTTLED' });
    expect(store.accountReads).toBe(1);
  });
});
