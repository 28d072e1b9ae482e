import { describe, expect, it } from 'vitest';
import type { SecurityEvent } from '../../src/events/index.ts';
import { loginOutcomeOf, ServiceMetrics } from '../../src/monitoring/metrics/index.ts';
import { parseScrape } from '../helpers/metrics-scrape.ts';

// Loosely typed on purpose: the metrics must survive events the types would refuse.
const event = (overrides: Record<string, unknown>): SecurityEvent =>
  ({
    type: 'brute_force',
    severity: 'high',
    at: 0,
    ip: '192.0.2.1',
    userId: null,
    userAgent: null,
    rule: 'brute_force',
    requestId: null,
    details: { action: 'block' },
    ...overrides,
  }) as unknown as SecurityEvent;

describe('ServiceMetrics', () => {
  it('keeps a registry per instance: two instances never share a counter', async () => {
    const a = new ServiceMetrics();
    const b = new ServiceMetrics();
    a.http.recorder('/api/auth/login', 'POST', 'login').record(401, 0.01);
    const scrapeA = parseScrape(await a.registry.metrics());
    const scrapeB = parseScrape(await b.registry.metrics());
    expect(scrapeA.value('flux_auth_login_outcomes_total', { outcome: 'failure' })).toBe(1);
    expect(scrapeB.value('flux_auth_login_outcomes_total', { outcome: 'failure' })).toBe(0);
  });

  it('counts login outcomes on the login route only', async () => {
    const metrics = new ServiceMetrics();
    metrics.http.recorder('/api/auth/signup', 'POST', 'signup').record(201, 0.01);
    metrics.http.recorder('/api/auth/login', 'POST', 'login').record(200, 0.01);
    metrics.http.recorder('/api/auth/login', 'POST', 'login').record(429, 0.001);
    const scrape = parseScrape(await metrics.registry.metrics());
    expect(scrape.value('flux_auth_login_outcomes_total', { outcome: 'success' })).toBe(1);
    expect(scrape.value('flux_auth_login_outcomes_total', { outcome: 'blocked' })).toBe(1);
    expect(scrape.value('flux_auth_http_requests_total', { route: '/api/auth/signup' })).toBe(1);
  });

  it('maps login statuses to outcomes', () => {
    const statuses = [200, 401, 429, 503, 400, 413, 415, 500, 404];
    expect(statuses.map(loginOutcomeOf)).toEqual([
      'success',
      'failure',
      'blocked',
      'busy',
      'invalid',
      'invalid',
      'invalid',
      'error',
      'other',
    ]);
  });

  it('labels events by their runtime type, severity, rule and action; odd values are one series', async () => {
    const metrics = new ServiceMetrics();
    metrics.events.count(event({}));
    metrics.events.count(event({ type: 'blocked_request', rule: 'blocked_request', details: {} }));
    metrics.events.count(
      event({ type: 'Evil"\n{x}', rule: null, details: { action: 'x'.repeat(200) } }),
    );
    const scrape = parseScrape(await metrics.registry.metrics());
    const decisions = 'flux_auth_detector_decisions_total';
    expect(scrape.value(decisions, { rule: 'brute_force', action: 'block' })).toBe(1);
    expect(scrape.value(decisions, { rule: 'blocked_request', action: 'record' })).toBe(1);
    expect(scrape.value(decisions, { rule: 'other', action: 'record' })).toBe(1);
    expect(
      scrape.value('flux_auth_security_events_total', { type: 'other', severity: 'high' }),
    ).toBe(1);
    expect(scrape.text).not.toContain('Evil');
  });

  it('keeps the last active-blocks value when the store fails at scrape time', async () => {
    const metrics = new ServiceMetrics();
    let fail = false;
    metrics.watch({
      activeBlocks: async () => {
        if (fail) throw new Error('store down');
        return 4;
      },
      storeMode: () => 'memory',
      audit: { writtenCount: 0, droppedCount: 0 },
      hashQueue: { queued: 0, inFlight: 0 },
    });
    expect(parseScrape(await metrics.registry.metrics()).value('flux_auth_active_blocks')).toBe(4);
    fail = true;
    expect(parseScrape(await metrics.registry.metrics()).value('flux_auth_active_blocks')).toBe(4);
  });
});
