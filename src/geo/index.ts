export { distanceKm, type Travel, travelBetween } from './distance.ts';
export {
  bundledCountryDbPath,
  GEO_CACHE_MAX,
  GeoLookup,
  type GeoLookupOptions,
} from './geo-lookup.ts';
export { type GeoLocator, type GeoPlace, type GeoPoint, hasCoordinates } from './geo-place.ts';
export { checkMmdbFile } from './mmdb-file.ts';
export { isPublicAddress, publicAddressOf } from './public-address.ts';
export { revokeOnImpossibleTravel, revokeSessionsBefore } from './travel-revocation.ts';
