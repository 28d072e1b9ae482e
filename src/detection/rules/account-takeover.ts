import type { RuleEventDetails, RuleRunMode } from '../../events/index.ts';
import { type GeoLocator, type GeoPlace, hasCoordinates, travelBetween } from '../../geo/index.ts';
import type { LastLogin } from '../../store/index.ts';
import type { DetectionRule } from './rule.ts';
import type { RuleEventOf } from './verdict.ts';

export type { GeoLocator, GeoPlace } from '../../geo/index.ts';

/** account_takeover's policy: the speed above which travel is impossible, and what to do then. */
export interface AccountTakeoverPolicy {
  readonly maxSpeedKmh: number;
  /** On `impossible_travel` (enforce mode), revoke the account's other sessions. */
  readonly revokeSessionsOnImpossibleTravel: boolean;
}

/** The events account_takeover can raise, most specific last. */
export type AccountTakeoverEvent =
  | RuleEventOf<'account_new_ip'>
  | RuleEventOf<'account_new_country'>
  | RuleEventOf<'impossible_travel'>;

/**
 * account_takeover, between two successful logins of one account from different IPs (keys):
 * `account_new_ip` (low) always; `account_new_country` (high) when both are public addresses
 * the GeoIP data places in different countries; `impossible_travel` (high) when both have
 * coordinates and the speed needed, after both accuracy radii, exceeds `maxSpeedKmh`.
 * Private, loopback and unknown addresses add no geo event. Pure: `locate` is a lookup.
 */
export function evaluateAccountTakeover(
  previous: LastLogin | null,
  current: LastLogin,
  rule: AccountTakeoverPolicy,
  mode: RuleRunMode,
  locate: GeoLocator | null,
): AccountTakeoverEvent[] {
  if (previous === null || previous.ipKey === current.ipKey) return [];
  const from = locate?.(previous.ip) ?? null;
  const to = locate?.(current.ip) ?? null;
  const elapsedMs = Math.max(0, current.at - previous.at);
  const base = {
    previousIp: previous.ip,
    previousLoginAt: previous.at,
    from,
    to,
    distanceKm: null as number | null,
    elapsedMs,
    mode,
  };
  const travel =
    from !== null && to !== null && hasCoordinates(from) && hasCoordinates(to)
      ? travelBetween(from, to, elapsedMs)
      : null;
  if (travel !== null) base.distanceKm = Math.round(travel.distanceKm);
  const events: AccountTakeoverEvent[] = [
    { type: 'account_new_ip', severity: 'low', details: base },
  ];
  if (from !== null && to !== null && from.country !== to.country) {
    events.push({ type: 'account_new_country', severity: 'high', details: base });
  }
  if (travel !== null && travel.speedKmh > rule.maxSpeedKmh) {
    const details: RuleEventDetails['impossible_travel'] = {
      ...base,
      distanceKm: Math.round(travel.distanceKm),
      minDistanceKm: Math.round(travel.minDistanceKm),
      // JSON has no Infinity: the same place at the same millisecond is reported as null.
      speedKmh: Number.isFinite(travel.speedKmh) ? Math.round(travel.speedKmh) : null,
      maxSpeedKmh: rule.maxSpeedKmh,
      revokeSessions: mode === 'enforce' && rule.revokeSessionsOnImpossibleTravel,
    };
    events.push({ type: 'impossible_travel', severity: 'high', details });
  }
  return events;
}

/** Where a place is, in one line for operators: `GB (51.50, -0.12 ±10 km)` or `AU`. */
export function describePlace(place: GeoPlace | null): string {
  if (place === null) return 'unknown';
  if (!hasCoordinates(place)) return place.country;
  const { latitude, longitude, accuracyRadiusKm } = place;
  return `${place.country} (${latitude.toFixed(2)}, ${longitude.toFixed(2)} ±${accuracyRadiusKm} km)`;
}

/**
 * account_takeover: between two successful logins of one account from different places,
 * `account_new_ip`, `account_new_country` and `impossible_travel` (see evaluateAccountTakeover).
 */
export const accountTakeoverRule: DetectionRule<
  'account_takeover',
  { readonly mode: 'enforce' | 'monitor' } & AccountTakeoverPolicy
> = {
  name: 'account_takeover',
  defaults: { mode: 'enforce', maxSpeedKmh: 900, revokeSessionsOnImpossibleTravel: false },
  eventTypes: ['account_new_ip', 'account_new_country', 'impossible_travel'],
  scope: 'account',
  recordLogin({ isSuccess, account, current, locate }, policy, mode) {
    if (!isSuccess) return [];
    return evaluateAccountTakeover(account.previousLogin, current, policy, mode, locate);
  },
};
