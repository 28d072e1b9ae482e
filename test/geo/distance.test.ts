import { describe, expect, it } from 'vitest';
import { distanceKm, travelBetween } from '../../src/geo/index.ts';

const london = { country: 'GB', latitude: 51.5074, longitude: -0.1278, accuracyRadiusKm: 10 };
const tokyo = { country: 'JP', latitude: 35.6895, longitude: 139.6917, accuracyRadiusKm: 5 };

describe('distance and travel', () => {
  it('gives the great-circle distance (London–Tokyo about 9,560 km)', () => {
    expect(distanceKm(london, tokyo)).toBeGreaterThan(9500);
    expect(distanceKm(london, tokyo)).toBeLessThan(9620);
    expect(distanceKm(london, london)).toBe(0);
  });

  it('takes both accuracy radii off the distance before computing the speed', () => {
    const travel = travelBetween(london, tokyo, 3_600_000);
    expect(travel.minDistanceKm).toBeCloseTo(travel.distanceKm - 15, 6);
    expect(travel.speedKmh).toBeCloseTo(travel.minDistanceKm, 6);
    // 150 km apart with 100 km radii each: they may be the same place, any time apart.
    const a = { country: 'GB', latitude: 51.5, longitude: 0, accuracyRadiusKm: 100 };
    const b = { ...a, latitude: 51.5 + 150 / 111.2 };
    expect(travelBetween(a, b, 1000)).toMatchObject({ minDistanceKm: 0, speedKmh: 0 });
    expect(travelBetween(london, tokyo, 0).speedKmh).toBe(Number.POSITIVE_INFINITY);
  });
});
