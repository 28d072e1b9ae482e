import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cityRecord, writeMmdb } from './mmdb-writer.ts';

/**
 * Writes the city database the geo tests use (GeoLite2-City shape) and returns its path:
 * 81.2.69.0/24 London ±10 km, 8.8.8.0/24 Kansas ±1000 km, 133.11.0.0/16 Tokyo ±5 km.
 */
export function writeTestCityDb(path?: string): string {
  const file = path ?? join(mkdtempSync(join(tmpdir(), 'flux-geo-')), 'city.mmdb');
  writeFileSync(
    file,
    writeMmdb([
      { cidr: '81.2.69.0/24', record: cityRecord('GB', 51.5142, -0.0931, 10) },
      { cidr: '8.8.8.0/24', record: cityRecord('US', 37.751, -97.822, 1000) },
      { cidr: '133.11.0.0/16', record: cityRecord('JP', 35.6895, 139.6917, 5) },
    ]),
  );
  return file;
}
