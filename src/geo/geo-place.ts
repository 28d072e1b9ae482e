/**
 * Where an IP is, as far as the GeoIP databases know. A country database gives only the
 * country; a city database adds coordinates and how far off they may be.
 */
export interface GeoPlace {
  /** ISO 3166-1 alpha-2 code (`US`, `GB`). */
  readonly country: string;
  /** Degrees; absent without a city database. */
  readonly latitude?: number;
  readonly longitude?: number;
  /** How far the true place may be from the coordinates (km); 0 when the database says none. */
  readonly accuracyRadiusKm?: number;
}

/** Looks an IP up; null for private, loopback, reserved or unknown addresses. Never throws. */
export type GeoLocator = (ip: string) => GeoPlace | null;

/** A place with coordinates (a city database knew it). */
export type GeoPoint = GeoPlace & {
  readonly latitude: number;
  readonly longitude: number;
  readonly accuracyRadiusKm: number;
};

/** True when `place` has coordinates. */
export function hasCoordinates(place: GeoPlace): place is GeoPoint {
  return (
    typeof place.latitude === 'number' &&
    typeof place.longitude === 'number' &&
    typeof place.accuracyRadiusKm === 'number'
  );
}
