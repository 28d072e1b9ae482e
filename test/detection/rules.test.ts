import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, sanitizeUserAgent } from '../../src/detection/index.ts';
import { evaluateAccountGuardPrecheck } from '../../src/detection/rules/account-guard.ts';
import { evaluateAccountTakeover } from '../../src/detection/rules/account-takeover.ts';
import { evaluateBruteForce } from '../../src/detection/rules/brute-force.ts';
import { evaluateMultipleDevices } from '../../src/detection/rules/multiple-devices.ts';
import { evaluateRapidTokenRefresh } from '../../src/detection/rules/rapid-token-refresh.ts';
import {
  classifyUserAgent,
  UserAgentClassifier,
} from '../../src/detection/rules/suspicious-user-agent.ts';

const { rules } = DEFAULT_POLICY;
const NOW = 1_700_000_000_000;

describe('rules are pure functions of counters, policy and now', () => {
  it('brute_force: block with retry from the block expiry; busy throttles without blocking', () => {
    const created = {
      ipKey: '1.2.3.4',
      rule: 'brute_force',
      reason: 'r',
      evidence: { count: 5, limit: 5, windowMs: 300_000 },
      createdAt: NOW,
      expiresAt: NOW + 3_600_000,
      manual: false,
    };
    const base = { failures: 5, pending: 0, isBusy: false, isOverLimit: true };
    const blocked = evaluateBruteForce(
      { ...base, created },
      rules.brute_force,
      'enforce',
      NOW + 1000,
    );
    expect(blocked.block).toMatchObject({ code: 'IP_BLOCKED', retryAfterSeconds: 3599 });
    const busy = evaluateBruteForce(
      { ...base, created: null, isBusy: true },
      rules.brute_force,
      'enforce',
      NOW,
    );
    expect(busy.block?.code).toBe('RATE_LIMITED');
    const none = evaluateBruteForce(
      { ...base, created: null, isOverLimit: false },
      rules.brute_force,
      'enforce',
      NOW,
    );
    expect(none.events).toHaveLength(0);
  });

  it('suspicious_user_agent: scanners, scripted clients, headless, empty; browsers pass', () => {
    for (const ua of [
      '',
      'curl/8.4.0',
      'Wget/1.21',
      'python-requests/2.31',
      'Go-http-client/1.1',
      'sqlmap/1.7',
      'Mozilla/5.0 Nikto',
      'masscan/1.3',
      'HeadlessChrome/120',
    ]) {
      expect(classifyUserAgent(ua), ua).not.toBeNull();
    }
    expect(
      classifyUserAgent('Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15 Safari/605.1.15'),
    ).toBeNull();
  });

  it('sanitizeUserAgent strips control characters and caps at 256', () => {
    expect(sanitizeUserAgent('a\u0000b\nc\u007f')).toBe('abc');
    expect(sanitizeUserAgent('x'.repeat(1000))).toHaveLength(256);
  });

  it('multiple_devices: a new 3rd device in the window', () => {
    expect(
      evaluateMultipleDevices(
        { distinctDevices: 3, isNewDevice: true },
        rules.multiple_devices,
        'enforce',
      ),
    ).not.toBeNull();
    expect(
      evaluateMultipleDevices(
        { distinctDevices: 2, isNewDevice: true },
        rules.multiple_devices,
        'enforce',
      ),
    ).toBeNull();
    expect(
      evaluateMultipleDevices(
        { distinctDevices: 3, isNewDevice: false },
        rules.multiple_devices,
        'enforce',
      ),
    ).toBeNull();
  });

  it('rapid_token_refresh: at 10, 20, … refreshes', () => {
    const fired = [9, 10, 11, 20].map(
      (n) => evaluateRapidTokenRefresh(n, rules.rapid_token_refresh, 'enforce') !== null,
    );
    expect(fired).toEqual([false, true, false, true]);
  });

  it('account_takeover: IP change, with impossible travel through the geo seam', () => {
    const prev = { ip: '198.51.100.1', ipKey: '198.51.100.1', at: NOW };
    const cur = { ip: '203.0.113.9', ipKey: '203.0.113.9', at: NOW + 3_600_000 };
    expect(
      evaluateAccountTakeover(
        prev,
        { ...cur, ipKey: prev.ipKey },
        rules.account_takeover,
        'enforce',
        null,
      ),
    ).toEqual([]);
    const locate = (ip: string) =>
      ip === prev.ip
        ? { country: 'FR', latitude: 48.85, longitude: 2.35, accuracyRadiusKm: 10 }
        : { country: 'JP', latitude: 35.68, longitude: 139.69, accuracyRadiusKm: 10 };
    const events = evaluateAccountTakeover(prev, cur, rules.account_takeover, 'enforce', locate);
    expect(events.map((e) => [e.type, e.severity])).toEqual([
      ['account_new_ip', 'low'],
      ['account_new_country', 'high'],
      ['impossible_travel', 'high'],
    ]);
  });

  it('account_guard: throttles unknown IPs only; monitor refuses nobody', () => {
    const counters = {
      throttledUntil: NOW + 60_000,
      isKnownIp: false,
      failures: 20,
      distinctIps: 5,
    };
    expect(
      evaluateAccountGuardPrecheck(counters, rules.account_guard, 'enforce', NOW).block?.code,
    ).toBe('ACCOUNT_THROTTLED');
    expect(
      evaluateAccountGuardPrecheck(
        { ...counters, isKnownIp: true },
        rules.account_guard,
        'enforce',
        NOW,
      ).block,
    ).toBeNull();
    expect(
      evaluateAccountGuardPrecheck(counters, rules.account_guard, 'monitor', NOW).block,
    ).toBeNull();
  });
});

describe('UserAgentClassifier', () => {
  it('answers like classifyUserAgent, remembering strings up to its bound', () => {
    const classifier = new UserAgentClassifier(2);
    const agents = ['curl/8.1', 'Mozilla/5.0 Firefox/130.0', '', 'sqlmap/1.7', 'curl/8.1'];
    for (const ua of agents) expect(classifier.classify(ua)).toBe(classifyUserAgent(ua));
  });
});
