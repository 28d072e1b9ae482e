import { describe, expect, it } from 'vitest';
import type { SentryConfig } from '../../src/config/index.ts';
import { buildSentryOptions } from '../../src/monitoring/sentry-options.ts';
import { profilingIntegrations } from '../../src/monitoring/sentry-profiling.ts';
import { SentryCounters } from '../../src/monitoring/sentry-stats.ts';

const CONFIG: SentryConfig = {
  dsn: 'https://abc123@o1.ingest.sentry.io/42',
  environment: 'test',
  release: 'r-1',
  tracesSampleRate: 1,
  profilesSampleRate: 0,
  minSeverity: 'high',
};

describe('Sentry profiling options', () => {
  it('off by default: no profiler loaded, no profiling option', () => {
    expect(profilingIntegrations(0)).toEqual([]);
    const options = buildSentryOptions(CONFIG, new SentryCounters());
    expect(options.profileSessionSampleRate).toBeUndefined();
    expect(options.profileLifecycle).toBeUndefined();
  });

  it('SENTRY_PROFILES_SAMPLE_RATE > 0: the profiling integration, profiling during traces', () => {
    expect(profilingIntegrations(0.5).map((i) => i.name)).toEqual(['ProfilingIntegration']);
    const options = buildSentryOptions(
      { ...CONFIG, profilesSampleRate: 0.5 },
      new SentryCounters(),
    );
    expect(options.profileSessionSampleRate).toBe(0.5);
    expect(options.profileLifecycle).toBe('trace');
  });
});
