import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkMmdbFile, GeoLookup, isPublicAddress } from '../../src/geo/index.ts';
import { writeTestCityDb } from '../helpers/city-db.ts';

const dir = mkdtempSync(join(tmpdir(), 'flux-geo-'));

describe('GeoLookup over the bundled country database', () => {
  it('is the pinned release whose answers these tests check', () => {
    const pkg = JSON.parse(
      readFileSync('node_modules/@ip-location-db/geo-whois-asn-country-mmdb/package.json', 'utf8'),
    ) as { version: string; license: string };
    expect(pkg).toMatchObject({ version: '2.3.2026061719', license: 'CC0-1.0' });
  });

  it('places public IPv4 and IPv6 addresses in their country', async () => {
    const geo = await GeoLookup.open();
    expect(geo.locate('8.8.8.8')).toEqual({ country: 'US' });
    expect(geo.locate('81.2.69.142')).toEqual({ country: 'GB' });
    expect(geo.locate('133.11.0.1')).toEqual({ country: 'JP' });
    expect(geo.locate('2001:4860:4860::8888')).toEqual({ country: 'US' });
    expect(geo.locate('::ffff:81.2.69.142')).toEqual({ country: 'GB' });
  });

  it('never looks up private, loopback or reserved addresses (the data maps 192.168.1.1 to AU)', async () => {
    const geo = await GeoLookup.open();
    for (const ip of ['192.168.1.1', '10.0.0.1', '127.0.0.1', '::1', '100.64.0.1', 'fd00::1']) {
      expect(geo.locate(ip), ip).toBeNull();
    }
    expect(geo.locate('203.0.113.5')).toBeNull();
    expect(geo.locate('not an ip')).toBeNull();
    expect(isPublicAddress('192.168.1.1')).toBe(false);
  });
});

describe('GeoLookup with a city database (GEOIP_CITY_DB)', () => {
  it('adds coordinates and the accuracy radius; falls back to the country file', async () => {
    const geo = await GeoLookup.open({ cityDbPath: writeTestCityDb() });
    expect(geo.hasCoordinates).toBe(true);
    expect(geo.locate('81.2.69.142')).toEqual({
      country: 'GB',
      latitude: 51.5142,
      longitude: -0.0931,
      accuracyRadiusKm: 10,
    });
    expect(geo.locate('133.11.200.7')).toMatchObject({ country: 'JP', accuracyRadiusKm: 5 });
    // Not in the city file: the bundled country database still knows the country.
    expect(geo.locate('1.1.1.1')).toEqual({ country: 'AU' });
  });

  it('keeps answers for a bounded number of addresses', async () => {
    const geo = await GeoLookup.open({ cityDbPath: writeTestCityDb(), cacheMax: 3 });
    for (let i = 1; i <= 10; i += 1) geo.locate(`81.2.69.${i}`);
    expect(geo.cachedCount).toBe(3);
    expect(geo.locate('81.2.69.1')).toMatchObject({ country: 'GB' });
  });

  it('refuses a file that is not an MMDB, naming why', async () => {
    const bogus = join(dir, 'bogus.mmdb');
    writeFileSync(bogus, 'hello');
    expect(checkMmdbFile(bogus)).toBe('not an MMDB (MaxMind DB) file');
    expect(checkMmdbFile(join(dir, 'missing.mmdb'))).toBe('no such file');
    expect(checkMmdbFile(dir)).toBe('is a directory, not a file');
    expect(checkMmdbFile(writeTestCityDb(join(dir, 'ok.mmdb')))).toBeNull();
  });
});
