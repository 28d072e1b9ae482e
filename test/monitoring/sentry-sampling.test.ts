import { describe, expect, it } from 'vitest';
import { createRequestSampler, isUntracedPath } from '../../src/monitoring/sentry-sampling.ts';
import { SentryCounters } from '../../src/monitoring/sentry-stats.ts';
import { countLostEvents } from '../../src/monitoring/sentry-transport.ts';

describe('request sampling before the span', () => {
  it('skips a request whose draw is not below the rate, and every probe', () => {
    let draw = 0.05;
    const sampler = createRequestSampler(0.1, () => draw);
    expect(sampler.skipRequest('/api/auth/login')).toBe(false);
    draw = 0.1;
    expect(sampler.skipRequest('/api/auth/login')).toBe(true);
    draw = 0;
    for (const probe of ['/health', '/ready?x=1', '/metrics']) {
      expect(sampler.skipRequest(probe)).toBe(true);
    }
    expect(isUntracedPath('/healthz')).toBe(false);
  });

  it('rate 1 (development) traces every request', () => {
    const sampler = createRequestSampler(1, () => 0.999999);
    expect(sampler.skipRequest('/openapi.json')).toBe(false);
  });

  it('the SDK sampler: request spans kept, other roots inside a request refused, others at the rate', () => {
    const sampler = createRequestSampler(0.1, () => 0);
    const request = { url: 'http://127.0.0.1:3000/api/auth/login' };
    const httpServer = { 'sentry.op': 'http.server' };
    expect(sampler.tracesSampler({ name: 'POST /api/auth/login', attributes: httpServer })).toBe(1);
    expect(sampler.tracesSampler({ name: 'GET', normalizedRequest: request })).toBe(0);
    expect(sampler.tracesSampler({ name: 'cleanup job' })).toBe(0.1);
    expect(
      sampler.tracesSampler({
        name: 'GET /health',
        attributes: httpServer,
        normalizedRequest: { url: 'http://127.0.0.1:3000/health' },
      }),
    ).toBe(0);
  });
});

describe('events the client turns away', () => {
  it('a processing-queue overflow counts as dropped, once per event, spans aside', () => {
    const reported: string[] = [];
    const client = {
      recordDroppedEvent(reason: string, category: string, _count?: number) {
        reported.push(`${reason}:${category}`);
      },
    };
    const counters = new SentryCounters();
    countLostEvents(client, counters);
    client.recordDroppedEvent('queue_overflow', 'transaction');
    client.recordDroppedEvent('queue_overflow', 'span', 7);
    client.recordDroppedEvent('sample_rate', 'transaction');
    expect(counters.dropped).toBe(1);
    // Still reported to Sentry (client reports).
    expect(reported).toEqual([
      'queue_overflow:transaction',
      'queue_overflow:span',
      'sample_rate:transaction',
    ]);
  });
});
