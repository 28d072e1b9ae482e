import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningService } from '../../src/main.ts';
import { startService } from '../../src/main.ts';
import { createLogger } from '../../src/monitoring/logger.ts';
import { AttackClient } from '../helpers/attack-client.ts';
import {
  describeWithRedis,
  dropKeys,
  REDIS_URL,
  sleep,
  uniquePrefix,
} from '../helpers/attack-stores.ts';
import { openPostgresTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { type Scrape, scrapeMetrics } from '../helpers/metrics-scrape.ts';
import { testConfig } from '../helpers/test-service.ts';

const LOGIN = { route: '/api/auth/login', method: 'POST' };

/** Scrapes until `check` holds (events and audit writes land after the response). */
async function scrapeUntil(url: string, check: (s: Scrape) => boolean): Promise<Scrape> {
  let scrape = await scrapeMetrics(url);
  for (let i = 0; i < 100 && !check(scrape); i += 1) {
    await sleep(50);
    scrape = await scrapeMetrics(url);
  }
  return scrape;
}

describeWithRedis('GET /metrics on its own listener (PostgreSQL, Redis)', () => {
  let db: TestDatabase;
  let running: RunningService;
  let metricsUrl: string;
  const prefix = uniquePrefix();
  const attacker = new AttackClient('127.61.0.1');

  beforeAll(async () => {
    db = await openPostgresTestDatabase();
    const config = testConfig({ REDIS_URL, METRICS_PORT: '0' });
    running = await startService(config, createLogger('silent'), {
      database: db.handle,
      redisKeyPrefix: prefix,
    });
    metricsUrl = running.metricsUrl ?? '';
    // The Redis client connects in the background: wait until calls go to Redis.
    for (let i = 0; i < 100 && running.services.detector.status() !== 'ok'; i += 1) await sleep(50);
  });

  afterAll(async () => {
    attacker.close();
    await running?.stop();
    await dropKeys(prefix);
    await db?.cleanup();
  });

  it('serves the Prometheus text format apart from the API', async () => {
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(metricsUrl).not.toBe(running.address);
    const response = await fetch(`${metricsUrl}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const api = await fetch(`${running.address}/metrics`);
    expect(api.status).toBe(404);
    const scrape = await scrapeMetrics(metricsUrl);
    // Default process metrics are there too.
    expect(scrape.names).toContain('process_cpu_user_seconds_total');
    expect(scrape.names).toContain('nodejs_eventloop_lag_seconds');
    expect(scrape.value('flux_auth_detection_store_mode', { mode: 'redis' })).toBe(1);
    expect(scrape.value('flux_auth_detection_store_mode', { mode: 'memory' })).toBe(0);
  });

  it('after six wrong logins shows five failures, one block, and the block by rule', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      const answer = await attacker.post(`${running.address}/api/auth/login`, {
        email: 'nobody@example.com',
        password: `wrong password ${i}`,
      });
      statuses.push(answer.status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    const scrape = await scrapeUntil(
      metricsUrl,
      (s) =>
        (s.value('flux_auth_detector_decisions_total', { rule: 'brute_force', action: 'block' }) ??
          0) >= 1 && (s.value('flux_auth_audit_events_written_total') ?? 0) >= 1,
    );
    expect(scrape.value('flux_auth_login_outcomes_total', { outcome: 'failure' })).toBe(5);
    expect(scrape.value('flux_auth_login_outcomes_total', { outcome: 'blocked' })).toBe(1);
    expect(scrape.value('flux_auth_login_outcomes_total', { outcome: 'success' })).toBe(0);
    expect(scrape.value('flux_auth_http_requests_total', { ...LOGIN, status: '401' })).toBe(5);
    expect(scrape.value('flux_auth_http_requests_total', { ...LOGIN, status: '429' })).toBe(1);
    expect(scrape.count('flux_auth_http_request_duration_seconds', LOGIN)).toBe(6);
    expect(
      scrape.value('flux_auth_detector_decisions_total', { rule: 'brute_force', action: 'block' }),
    ).toBe(1);
    expect(
      scrape.value('flux_auth_security_events_total', { type: 'brute_force', severity: 'high' }),
    ).toBe(1);
    expect(scrape.value('flux_auth_active_blocks')).toBe(1);
    expect(scrape.value('flux_auth_audit_events_written_total')).toBeGreaterThanOrEqual(1);
    expect(scrape.value('flux_auth_audit_events_dropped_total')).toBe(0);
    // Five hashes (the unknown email is checked against the dummy hash), none refused.
    expect(scrape.count('flux_auth_hash_queue_wait_seconds')).toBe(5);
    expect(scrape.value('flux_auth_hash_queue_depth')).toBe(0);
    // Every login asked Redis at least once, in time.
    expect(
      scrape.count('flux_auth_detection_store_call_duration_seconds', { outcome: 'ok' }),
    ).toBeGreaterThanOrEqual(6);
    expect(scrape.value('flux_auth_sentry_events_sent_total')).toBe(0);
    expect(scrape.value('flux_auth_sentry_events_dropped_total')).toBe(0);
  });

  it('labels by route pattern, never the raw URL', async () => {
    await attacker.send('DELETE', `${running.address}/api/admin/blocks/203.0.113.9?x=1`);
    await attacker.send('PUT', `${running.address}/no/such/path/${'a'.repeat(20)}`);
    const scrape = await scrapeMetrics(metricsUrl);
    expect(
      scrape.value('flux_auth_http_requests_total', {
        route: '/api/admin/blocks/:ip',
        method: 'DELETE',
        status: '401',
      }),
    ).toBe(1);
    expect(
      scrape.value('flux_auth_http_requests_total', {
        route: 'unmatched',
        method: 'PUT',
        status: '404',
      }),
    ).toBe(1);
    expect(scrape.text).not.toContain('203.0.113.9');
    expect(scrape.text).not.toContain('/no/such/path');
  });
});
