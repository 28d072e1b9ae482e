import { createRequire } from 'node:module';
import maxmind, { type Reader, type Response } from 'maxmind';
import type { GeoLocator, GeoPlace } from './geo-place.ts';
import { publicAddressOf } from './public-address.ts';

/** The country database shipped as a dependency (CC0; data CC BY 4.0 by the NRO, see README). */
export function bundledCountryDbPath(): string {
  const require = createRequire(import.meta.url);
  return require.resolve('@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb');
}

/** Addresses whose answer is kept (oldest evicted first): bounded memory under any IP spread. */
export const GEO_CACHE_MAX = 10_000;

/** Where the two databases are; `cityDbPath` is `GEOIP_CITY_DB` (optional). */
export interface GeoLookupOptions {
  readonly countryDbPath?: string;
  readonly cityDbPath?: string | null;
  readonly cacheMax?: number;
}

// Only the fields read: GeoLite2-City and DB-IP city files, and the ip-location-db country file.
interface CityRecord {
  readonly country?: { readonly iso_code?: string };
  readonly location?: {
    readonly latitude?: number;
    readonly longitude?: number;
    readonly accuracy_radius?: number;
  };
}
interface CountryRecord {
  readonly country_code?: string;
  readonly country?: { readonly iso_code?: string };
}

/**
 * Offline GeoIP over MMDB files, each opened once with a bounded cache. A lookup is a tree walk
 * in memory (microseconds). Throws at open when a file is missing or not an MMDB.
 */
export class GeoLookup {
  readonly #country: Reader<CountryRecord & Response> | null;
  readonly #city: Reader<CityRecord & Response> | null;
  readonly #cache = new Map<string, GeoPlace | null>();
  readonly #cacheMax: number;

  private constructor(
    country: Reader<CountryRecord & Response> | null,
    city: Reader<CityRecord & Response> | null,
    cacheMax: number,
  ) {
    this.#country = country;
    this.#city = city;
    this.#cacheMax = Math.max(1, cacheMax);
  }

  /** Opens the country database (the bundled one by default) and the city one when given. */
  static async open(options: GeoLookupOptions = {}): Promise<GeoLookup> {
    // maxmind's own cache holds decoded records (by data offset), not answers per address.
    const cache = { max: GEO_CACHE_MAX };
    const country = await maxmind.open<CountryRecord & Response>(
      options.countryDbPath ?? bundledCountryDbPath(),
      { cache },
    );
    const city =
      options.cityDbPath == null
        ? null
        : await maxmind.open<CityRecord & Response>(options.cityDbPath, { cache });
    return new GeoLookup(country, city, options.cacheMax ?? GEO_CACHE_MAX);
  }

  /** True when coordinates can be known (a city database is open). */
  get hasCoordinates(): boolean {
    return this.#city !== null;
  }

  /** Where `ip` is; null for non-public or unknown addresses. Never throws. */
  readonly locate: GeoLocator = (ip: string): GeoPlace | null => {
    const cached = this.#cache.get(ip);
    if (cached !== undefined) return cached;
    const place = this.#lookup(ip);
    if (this.#cache.size >= this.#cacheMax) {
      // Map iterates in insertion order: the first key is the oldest.
      const oldest = this.#cache.keys().next();
      if (oldest.done !== true) this.#cache.delete(oldest.value);
    }
    this.#cache.set(ip, place);
    return place;
  };

  /** Addresses answered from the cache now (at most the cache size). */
  get cachedCount(): number {
    return this.#cache.size;
  }

  #lookup(ip: string): GeoPlace | null {
    const address = publicAddressOf(ip);
    if (address === null) return null;
    try {
      return this.#fromCity(address) ?? this.#fromCountry(address);
    } catch {
      // A malformed record must not fail a login: an unknown place is no geo event.
      return null;
    }
  }

  #fromCity(ip: string): GeoPlace | null {
    const record = this.#city?.get(ip) ?? null;
    const country = record?.country?.iso_code;
    if (record === null || typeof country !== 'string') return null;
    const { latitude, longitude, accuracy_radius: radius } = record.location ?? {};
    if (typeof latitude !== 'number' || typeof longitude !== 'number') return { country };
    return { country, latitude, longitude, accuracyRadiusKm: radius ?? 0 };
  }

  #fromCountry(ip: string): GeoPlace | null {
    const record = this.#country?.get(ip) ?? null;
    const country = record?.country_code ?? record?.country?.iso_code;
    return typeof country === 'string' ? { country } : null;
  }
}
