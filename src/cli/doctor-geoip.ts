import type { Config } from '../config/index.ts';
import { GeoLookup } from '../geo/index.ts';
import type { DoctorCheck } from './doctor.ts';

/** A public address every country database places (Google DNS, US): proves lookups answer. */
const PROBE_IP = '8.8.8.8';

/** Opens the GeoIP databases as the server does and looks one public address up. */
export async function checkGeoip(config: Config): Promise<DoctorCheck> {
  try {
    const geo = await GeoLookup.open({ cityDbPath: config.geoipCityDb });
    const place = geo.locate(PROBE_IP);
    if (place === null) {
      return {
        name: 'geoip',
        ok: false,
        detail: `the databases do not place ${PROBE_IP}`,
        fix: 'Reinstall the dependencies (npm ci) or point GEOIP_CITY_DB at a current city database.',
      };
    }
    const city =
      config.geoipCityDb === null
        ? 'no GEOIP_CITY_DB: countries only, no impossible_travel'
        : `city database ${config.geoipCityDb}`;
    return { name: 'geoip', ok: true, detail: `${PROBE_IP} → ${place.country}; ${city}`, fix: '' };
  } catch (error) {
    return {
      name: 'geoip',
      ok: false,
      detail: `cannot open the GeoIP databases: ${error instanceof Error ? error.message : String(error)}`,
      fix: 'Reinstall the dependencies (npm ci: @ip-location-db/geo-whois-asn-country-mmdb), or correct GEOIP_CITY_DB.',
    };
  }
}
