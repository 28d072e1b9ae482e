import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, parsePolicy } from '../../src/detection/index.ts';
import { evaluateAccountTakeover } from '../../src/detection/rules/account-takeover.ts';
import type { GeoPlace } from '../../src/geo/index.ts';

const NOW = 1_800_000_000_000;
const HOUR = 3_600_000;
const rule = DEFAULT_POLICY.rules.account_takeover;
const PLACES: Record<string, GeoPlace> = {
  '81.2.69.142': { country: 'GB', latitude: 51.51, longitude: -0.09, accuracyRadiusKm: 10 },
  '81.2.69.143': { country: 'GB', latitude: 51.51, longitude: -0.09, accuracyRadiusKm: 10 },
  '8.8.8.8': { country: 'US', latitude: 37.75, longitude: -97.82, accuracyRadiusKm: 1000 },
  '133.11.0.1': { country: 'JP', latitude: 35.69, longitude: 139.69, accuracyRadiusKm: 5 },
  '1.1.1.1': { country: 'AU' },
};
const locate = (ip: string) => PLACES[ip] ?? null;
const login = (ip: string, at: number) => ({ ip, ipKey: ip, at });
const typesOf = (events: readonly { type: string }[]) => events.map((e) => e.type);

describe('account_takeover', () => {
  it('a new IP in the same city is low noise: account_new_ip only', () => {
    const events = evaluateAccountTakeover(
      login('81.2.69.142', NOW),
      login('81.2.69.143', NOW + 60_000),
      rule,
      'enforce',
      locate,
    );
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'account_new_ip',
      severity: 'low',
      details: { from: PLACES['81.2.69.142'], to: PLACES['81.2.69.143'], distanceKm: 0 },
    });
  });

  it('London then Tokyo an hour later: new country and impossible travel, with both places', () => {
    const events = evaluateAccountTakeover(
      login('81.2.69.142', NOW),
      login('133.11.0.1', NOW + HOUR),
      rule,
      'enforce',
      locate,
    );
    expect(typesOf(events)).toEqual(['account_new_ip', 'account_new_country', 'impossible_travel']);
    const travel = events[2];
    expect(travel?.type === 'impossible_travel' && travel.details).toMatchObject({
      from: { country: 'GB' },
      to: { country: 'JP' },
      elapsedMs: HOUR,
      maxSpeedKmh: 900,
      revokeSessions: false,
    });
    const details = travel?.details as { distanceKm: number; speedKmh: number };
    expect(details.distanceKm).toBeGreaterThan(9500);
    expect(details.speedKmh).toBe(details.distanceKm - 15);
  });

  it('the same trip over 12 hours is a new country, not impossible travel', () => {
    const events = evaluateAccountTakeover(
      login('81.2.69.142', NOW),
      login('133.11.0.1', NOW + 12 * HOUR),
      rule,
      'enforce',
      locate,
    );
    expect(typesOf(events)).toEqual(['account_new_ip', 'account_new_country']);
  });

  it('allows for accuracy radii: a 1,000 km radius absorbs that much of the trip', () => {
    // London–Kansas ≈ 7,100 km; less 1,010 km of radii in 7 h is ≈ 870 km/h, under 900.
    const slow = evaluateAccountTakeover(
      login('81.2.69.142', NOW),
      login('8.8.8.8', NOW + 7 * HOUR),
      rule,
      'enforce',
      locate,
    );
    expect(typesOf(slow)).toEqual(['account_new_ip', 'account_new_country']);
    const fast = evaluateAccountTakeover(
      login('81.2.69.142', NOW),
      login('8.8.8.8', NOW + 6 * HOUR),
      rule,
      'enforce',
      locate,
    );
    expect(typesOf(fast)).toContain('impossible_travel');
  });

  it('without coordinates (country data only): new country, never impossible travel', () => {
    const events = evaluateAccountTakeover(
      login('81.2.69.142', NOW),
      login('1.1.1.1', NOW + 1000),
      rule,
      'enforce',
      locate,
    );
    expect(typesOf(events)).toEqual(['account_new_ip', 'account_new_country']);
    expect(events[1]?.details.distanceKm).toBeNull();
  });

  it('private, loopback and unknown addresses: account_new_ip without places, no error', () => {
    const events = evaluateAccountTakeover(
      login('10.0.0.5', NOW),
      login('133.11.0.1', NOW + 1000),
      rule,
      'enforce',
      locate,
    );
    expect(events).toHaveLength(1);
    expect(events[0]?.details).toMatchObject({ from: null, to: PLACES['133.11.0.1'] });
  });

  it('revokes sessions only when the policy says so and the rule enforces', () => {
    const parsed = parsePolicy({
      rules: { account_takeover: { revokeSessionsOnImpossibleTravel: true } },
    });
    if (!parsed.ok) throw new Error(parsed.problems.join());
    const strict = parsed.policy.rules.account_takeover;
    const run = (mode: 'enforce' | 'monitor') =>
      evaluateAccountTakeover(
        login('81.2.69.142', NOW),
        login('133.11.0.1', NOW + HOUR),
        strict,
        mode,
        locate,
      ).find((e) => e.type === 'impossible_travel')?.details;
    expect(run('enforce')).toMatchObject({ revokeSessions: true });
    expect(run('monitor')).toMatchObject({ revokeSessions: false, mode: 'monitor' });
    const bad = parsePolicy({
      rules: { account_takeover: { revokeSessionsOnImpossibleTravel: 'yes' } },
    });
    expect(bad).toEqual({
      ok: false,
      problems: [
        'rules.account_takeover.revokeSessionsOnImpossibleTravel: must be true or false, got "yes"',
      ],
    });
  });
});
