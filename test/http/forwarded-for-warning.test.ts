import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PROXY_SIGHTING_FILE,
  readProxySighting,
  recordProxySighting,
} from '../../src/config/index.ts';
import { isProxyAddress } from '../../src/http/plugins/forwarded-for-warning.ts';
import { openSqliteTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { createTestService, type TestService } from '../helpers/test-service.ts';

// Issue 13: without TRUST_PROXY, everyone behind a proxy is one client. The first request that
// shows a proxy in front (a forwarded header from a loopback or private peer) says so once.
let db: TestDatabase;
beforeAll(async () => {
  db = await openSqliteTestDatabase();
});
afterAll(async () => {
  await db?.cleanup();
});

async function withService(
  env: Record<string, string>,
  body: (service: TestService, warnings: () => string[], dataDir: string) => Promise<void>,
  dataDir = mkdtempSync(join(tmpdir(), 'flux-proxy-warn-')),
): Promise<void> {
  const written: string[] = [];
  const service = await createTestService(db.handle, {
    env: { LOG_LEVEL: 'warn', DATA_DIR: dataDir, ...env },
    logStream: { write: (line) => written.push(line) },
  });
  const warnings = () =>
    written
      .map((line) => JSON.parse(line) as { msg?: string })
      .map((line) => line.msg ?? '')
      .filter((msg) => msg.includes('TRUST_PROXY'));
  try {
    await body(service, warnings, dataDir);
  } finally {
    await service.close();
  }
}

describe('a proxy in front while TRUST_PROXY is unset', () => {
  it('warns once per process, naming TRUST_PROXY, and notes the proxy for doctor', async () => {
    await withService({}, async (service, warnings, dataDir) => {
      for (let i = 0; i < 5; i += 1) {
        await service.app.inject({
          url: '/health',
          remoteAddress: '127.0.0.1',
          headers: { 'x-forwarded-for': `198.51.100.${i}` },
        });
      }
      await service.app.inject({
        url: '/health',
        remoteAddress: '10.0.0.7',
        headers: { forwarded: 'for=198.51.100.9' },
      });
      expect(warnings()).toHaveLength(1);
      expect(warnings()[0]).toMatch(/TRUST_PROXY is not set.*counted and blocked as one/);
      expect(readProxySighting(dataDir)).toMatchObject({ peer: '127.0.0.1' });
    });
  });

  it('warns at startup when an earlier run saw a proxy, and not again on requests', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'flux-proxy-known-'));
    recordProxySighting(dataDir, { peer: '10.0.0.9', at: 1 });
    await withService(
      {},
      async (service, warnings) => {
        expect(warnings()).toHaveLength(1);
        await service.app.inject({
          url: '/health',
          remoteAddress: '10.0.0.9',
          headers: { 'x-forwarded-for': '198.51.100.1' },
        });
        expect(warnings()).toHaveLength(1);
        expect(warnings()[0]).toMatch(
          /TRUST_PROXY is not set.*earlier run saw a proxy at 10\.0\.0\.9/,
        );
      },
      dataDir,
    );
  });

  it('takes Forwarded (RFC 7239) from a private peer as a proxy too', async () => {
    await withService({}, async (service, warnings, dataDir) => {
      await service.app.inject({
        url: '/health',
        remoteAddress: '192.168.1.20',
        headers: { forwarded: 'for=203.0.113.5;proto=https' },
      });
      expect(warnings()).toHaveLength(1);
      expect(readProxySighting(dataDir)).toMatchObject({ peer: '192.168.1.20' });
    });
  });

  it('stays quiet for a public peer forging the header (a client, not a proxy) and without it', async () => {
    await withService({}, async (service, warnings, dataDir) => {
      await service.app.inject({
        url: '/health',
        remoteAddress: '203.0.113.50',
        headers: { 'x-forwarded-for': '10.0.0.1' },
      });
      await service.app.inject({ url: '/health', remoteAddress: '127.0.0.1' });
      expect(warnings()).toEqual([]);
      expect(existsSync(join(dataDir, PROXY_SIGHTING_FILE))).toBe(false);
    });
  });

  it('stays quiet when TRUST_PROXY is set', async () => {
    await withService({ TRUST_PROXY: '127.0.0.1' }, async (service, warnings, dataDir) => {
      await service.app.inject({
        url: '/health',
        remoteAddress: '127.0.0.1',
        headers: { 'x-forwarded-for': '198.51.100.1' },
      });
      expect(warnings()).toEqual([]);
      expect(existsSync(join(dataDir, PROXY_SIGHTING_FILE))).toBe(false);
    });
  });

  it.each([
    ['127.0.0.1', true],
    ['::1', true],
    ['::ffff:10.1.2.3', true],
    ['172.16.5.4', true],
    ['fd00::1', true],
    ['203.0.113.9', false],
    ['2001:db8::1', false],
    ['not an ip', false],
  ])('isProxyAddress(%s) is %s', (address, expected) => {
    expect(isProxyAddress(address)).toBe(expected);
  });
});
