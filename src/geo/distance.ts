import type { GeoPoint } from './geo-place.ts';

const EARTH_RADIUS_KM = 6371;

/** Great-circle (haversine) distance between two points, in km. */
export function distanceKm(
  a: Pick<GeoPoint, 'latitude' | 'longitude'>,
  b: Pick<GeoPoint, 'latitude' | 'longitude'>,
): number {
  const rad = Math.PI / 180;
  const dLat = (b.latitude - a.latitude) * rad;
  const dLon = (b.longitude - a.longitude) * rad;
  const h =
    Math.sin(dLat / 2) ** 2 +
    Math.cos(a.latitude * rad) * Math.cos(b.latitude * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** What `travelBetween` found: the distance, and the speed needed after the accuracy radii. */
export interface Travel {
  /** Between the two coordinates, km. */
  readonly distanceKm: number;
  /** The distance less both accuracy radii (never below 0), km: the least the user moved. */
  readonly minDistanceKm: number;
  readonly elapsedMs: number;
  /** `minDistanceKm` over the elapsed time (km/h); Infinity when no time passed but distance did. */
  readonly speedKmh: number;
}

/** The least speed that explains being at `from` and then `elapsedMs` later at `to`. */
export function travelBetween(from: GeoPoint, to: GeoPoint, elapsedMs: number): Travel {
  const km = distanceKm(from, to);
  const minKm = Math.max(0, km - from.accuracyRadiusKm - to.accuracyRadiusKm);
  const hours = Math.max(0, elapsedMs) / 3_600_000;
  let speedKmh: number;
  if (minKm === 0) speedKmh = 0;
  else speedKmh = hours === 0 ? Number.POSITIVE_INFINITY : minKm / hours;
  return { distanceKm: km, minDistanceKm: minKm, elapsedMs, speedKmh };
}
