import { checkMmdbFile } from '../geo/mmdb-file.ts';

/**
 * `GEOIP_CITY_DB` (already resolved to an absolute path, or null when unset): the path when it
 * is a readable MMDB file, else a problem naming the variable and the fix.
 */
export function readGeoipCityDb(path: string | null, problems: string[]): string | null {
  if (path === null) return null;
  const problem = checkMmdbFile(path);
  if (problem === null) return path;
  problems.push(
    `GEOIP_CITY_DB (${path}): ${problem}. Point it at a GeoLite2-City or DB-IP city .mmdb file, or unset it to use the bundled country database only.`,
  );
  return null;
}
