import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SecurityEvent } from '../../src/events/index.ts';
import { attempt, fakeClock } from '../detection/helpers.ts';
import { openSqliteTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { createTestService, type TestService } from '../helpers/test-service.ts';

// A block this instance has cached is answered in onRequest, before the body is read: whatever
// a blocked client sends, it gets the 429 of its block, and its requests still count in the
// blocked_request roll-up.
describe('a blocked IP is refused before its body is parsed', () => {
  const clock = fakeClock();
  const events: SecurityEvent[] = [];
  const lines: string[] = [];
  let db: TestDatabase;
  let service: TestService;

  beforeAll(async () => {
    db = await openSqliteTestDatabase();
    service = await createTestService(db.handle, {
      clock: clock.now,
      env: { LOG_LEVEL: 'info' },
      logStream: { write: (line) => lines.push(line) },
    });
    service.services.bus.subscribe((event) => {
      events.push(event);
    });
    await service.listen();
  });
  afterAll(async () => {
    await service?.close();
    await db?.cleanup();
  });

  /** Blocks `ip` for 600 s and has this instance cache the block, as a first refusal does. */
  async function blockAndCache(ip: string): Promise<void> {
    const { detector } = service.services;
    await detector.blockIp(ip, { durationSeconds: 600, reason: 'early-refusal test' });
    const first = await detector.precheck(attempt('login', clock.now(), { ip }));
    expect(first).toMatchObject({ action: 'block', code: 'IP_BLOCKED' });
  }

  const send = (ip: string, payload: string, contentType = 'application/json') =>
    service.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      remoteAddress: ip,
      headers: { 'content-type': contentType },
      payload,
    });
  const malformed = '{"email": "a@example.com", "password": ';
  const oversized = JSON.stringify({ email: 'a@example.com', password: 'x'.repeat(20 * 1024) });

  it('malformed, oversized or non-JSON bodies get the 429 of the block with every header', async () => {
    const ip = '198.51.100.31';
    await blockAndCache(ip);
    for (const [label, res] of [
      ['malformed JSON', await send(ip, malformed)],
      ['20 KiB body', await send(ip, oversized)],
      ['text/plain', await send(ip, 'hello', 'text/plain')],
    ] as const) {
      expect(res.statusCode, label).toBe(429);
      expect(res.json(), label).toEqual({
        error: 'Your IP has been temporarily blocked.',
        code: 'IP_BLOCKED',
      });
      expect(res.headers['retry-after'], label).toBe('600');
      expect(res.headers['x-request-id'], label).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.headers['content-security-policy'], label).toMatch(/default-src 'self'/);
      expect(res.headers['x-content-type-options'], label).toBe('nosniff');
      // The answer is logged under its request id, like any other.
      const logged = lines
        .map((line) => JSON.parse(line) as { requestId?: string; status?: number })
        .filter((entry) => entry.requestId === res.headers['x-request-id']);
      expect(
        logged.some((entry) => entry.status === 429),
        label,
      ).toBe(true);
    }
  });

  it('an IP that is not blocked still gets 400, 413 and 415 for the same bodies', async () => {
    const ip = '198.51.100.32';
    expect((await send(ip, malformed)).statusCode).toBe(400);
    expect((await send(ip, oversized)).statusCode).toBe(413);
    expect((await send(ip, 'hello', 'text/plain')).statusCode).toBe(415);
  });

  it('requests refused before parsing are counted in the blocked_request rows', async () => {
    const ip = '198.51.100.33';
    await blockAndCache(ip);
    for (let i = 0; i < 7; i += 1) expect((await send(ip, malformed)).statusCode).toBe(429);
    // Past the cache's second, the next request asks the store and writes the roll-up.
    clock.advance(1500);
    const next = await send(ip, JSON.stringify({ email: 'a@example.com', password: 'pw 123456' }));
    expect(next.statusCode).toBe(429);
    expect(next.headers['retry-after']).toBe('599');
    service.services.detector.flushEvents({ all: true });
    await new Promise((resolve) => setImmediate(resolve));
    // The precheck that cached the block, the 7 answered before parsing, the store's answer.
    const rows = events.filter((e) => e.type === 'blocked_request' && e.ip === ip);
    expect(rows.reduce((sum, e) => sum + Number((e.details as { count?: number }).count), 0)).toBe(
      9,
    );
  });

  it('the unread body of a refused request is discarded and the connection stays usable', async () => {
    const ip = '127.77.0.9';
    await blockAndCache(ip);
    const { port } = new URL(service.url);
    const big = 'x'.repeat(64 * 1024);
    const small = JSON.stringify({ email: 'a@example.com', password: 'pw 123456' });
    const request = (body: string, extra = '') =>
      `POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: Number(port), localAddress: ip });
      let received = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        received += chunk;
      });
      socket.on('end', () => resolve(received));
      socket.on('error', reject);
      // Two requests on one keep-alive connection: a 64 KiB body, then a small one.
      socket.write(request(big) + request(small, 'Connection: close\r\n'));
    });
    const statuses = [...answer.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => m[1]);
    expect(statuses).toEqual(['429', '429']);
    expect(answer.match(/"code":"IP_BLOCKED"/g)).toHaveLength(2);
  });
});
