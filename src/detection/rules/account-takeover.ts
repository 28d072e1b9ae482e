import { EVENT_TYPES, type RuleEventDetails } from '../../events/index.ts';
import type { LastLogin } from '../../store/index.ts';
import type { DetectionRule } from './rule.ts';
import type { RuleEventOf, RuleRunMode } from './verdict.ts';

/** Where an IP is, when a GeoIP database knows it. */
export interface GeoLocation {
  readonly country: string;
  readonly latitude: number;
  readonly longitude: number;
}

/** Seam for geography: returns null when unknown (no database, private address). */
export type GeoLocator = (ip: string) => GeoLocation | null;

/** Great-circle distance in km. */
export function distanceKm(a: GeoLocation, b: GeoLocation): number {
  const rad = Math.PI / 180;
  const dLat = (b.latitude - a.latitude) * rad;
  const dLon = (b.longitude - a.longitude) * rad;
  const h =
    Math.sin(dLat / 2) ** 2 +
    Math.cos(a.latitude * rad) * Math.cos(b.latitude * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * account_takeover: a successful login from another IP (key) than the previous one → high.
 * With a locator, details add the country change and the travel speed (km/h).
 */
export function evaluateAccountTakeover(
  previous: LastLogin | null,
  current: LastLogin,
  rule: { readonly maxSpeedKmh: number },
  mode: RuleRunMode,
  locate: GeoLocator | null,
): RuleEventOf<'account_takeover'> | null {
  if (previous === null || previous.ipKey === current.ipKey) return null;
  let details: RuleEventDetails['account_takeover'] = {
    previousIp: previous.ip,
    previousLoginAt: previous.at,
    mode,
  };
  const from = locate?.(previous.ip) ?? null;
  const to = locate?.(current.ip) ?? null;
  if (from !== null && to !== null) {
    const km = distanceKm(from, to);
    const hours = Math.max((current.at - previous.at) / 3_600_000, 1 / 3600);
    details = {
      ...details,
      previousCountry: from.country,
      country: to.country,
      distanceKm: Math.round(km),
      speedKmh: Math.round(km / hours),
      isImpossibleTravel: km / hours > rule.maxSpeedKmh,
      maxSpeedKmh: rule.maxSpeedKmh,
    };
  }
  return { type: 'account_takeover', severity: EVENT_TYPES.account_takeover.severity, details };
}

/** account_takeover's policy. */
export interface AccountTakeoverPolicy {
  readonly mode: 'enforce' | 'monitor';
  readonly maxSpeedKmh: number;
}

/** account_takeover: a successful login from another place than the previous one. */
export const accountTakeoverRule: DetectionRule<'account_takeover', AccountTakeoverPolicy> = {
  name: 'account_takeover',
  defaults: { mode: 'enforce', maxSpeedKmh: 900 },
  eventTypes: ['account_takeover'],
  scope: 'account',
  recordLogin({ isSuccess, account, current, locate }, policy, mode) {
    if (!isSuccess) return [];
    const event = evaluateAccountTakeover(account.previousLogin, current, policy, mode, locate);
    return event === null ? [] : [event];
  },
};
