import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../../src/monitoring/metrics/latency-histogram.ts';
import { parseScrape } from '../helpers/metrics-scrape.ts';

const BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 1];
// Inside buckets, exactly on bounds (le is inclusive), below the first and above the last.
const VALUES = [0, 0.0004, 0.001, 0.003, 0.005, 0.0051, 0.02, 0.1, 0.5, 1, 2.5, 7];

describe('LatencyHistogram', () => {
  it('scrapes exactly like prom-client Histogram fed the same observations', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const fast = new LatencyHistogram({
      name: 'h',
      help: 'help',
      buckets: BUCKETS,
      registry: ours,
    });
    const reference = new Histogram({
      name: 'h',
      help: 'help',
      labelNames: ['route', 'method'],
      buckets: BUCKETS,
      registers: [theirs],
    });
    const routes = [
      ['/api/auth/login', 'POST'],
      ['/api/auth/refresh', 'POST'],
    ] as const;
    for (const [route, method] of routes) {
      const series = fast.series({ route, method });
      const child = reference.labels(route, method);
      for (const value of VALUES) {
        series.observe(value);
        child.observe(value);
      }
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    const scrape = parseScrape(await ours.metrics());
    expect(scrape.count('h', { route: '/api/auth/login' })).toBe(VALUES.length);
    expect(scrape.value('h_bucket', { route: '/api/auth/refresh', le: '0.005' })).toBe(5);
  });

  it('reset zeroes every series, as the registry resets its metrics', async () => {
    const registry = new Registry();
    const histogram = new LatencyHistogram({ name: 'h', help: 'help', buckets: BUCKETS, registry });
    histogram.series({ route: '/x', method: 'GET' }).observe(0.2);
    registry.resetMetrics();
    expect(parseScrape(await registry.metrics()).count('h', { route: '/x' })).toBe(0);
  });
});
