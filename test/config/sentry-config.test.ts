import { describe, expect, it } from 'vitest';
import { parseSentryDsn, readSentryConfig } from '../../src/config/index.ts';
import { testConfig } from '../helpers/test-service.ts';

describe('readSentryConfig', () => {
  it('is off without a DSN; traces 100% outside production, 10% in production; high and up', () => {
    const off = readSentryConfig({});
    expect(off).toMatchObject({
      ok: true,
      sentry: {
        dsn: null,
        environment: 'development',
        release: 'flux-auth@0.1.0',
        tracesSampleRate: 1,
        profilesSampleRate: 0,
        minSeverity: 'high',
      },
    });
    expect(readSentryConfig({ NODE_ENV: 'production' })).toMatchObject({
      sentry: { environment: 'production', tracesSampleRate: 0.1 },
    });
  });

  it('takes the overrides', () => {
    const result = readSentryConfig({
      NODE_ENV: 'production',
      SENTRY_DSN: 'https://abc123@o1.ingest.sentry.io/42',
      SENTRY_ENVIRONMENT: 'staging',
      SENTRY_RELEASE: 'r-7',
      SENTRY_TRACES_SAMPLE_RATE: '0.25',
      SENTRY_PROFILES_SAMPLE_RATE: '0.5',
      SENTRY_MIN_SEVERITY: 'medium',
    });
    expect(result).toMatchObject({
      ok: true,
      sentry: {
        dsn: 'https://abc123@o1.ingest.sentry.io/42',
        environment: 'staging',
        release: 'r-7',
        tracesSampleRate: 0.25,
        profilesSampleRate: 0.5,
        minSeverity: 'medium',
      },
    });
  });

  it('reports each bad value on one line naming the variable, never echoing the DSN', () => {
    const result = readSentryConfig({
      SENTRY_DSN: 'https://secret-key@sentry.example.com/project',
      SENTRY_TRACES_SAMPLE_RATE: '1.5',
      SENTRY_PROFILES_SAMPLE_RATE: '-0.1',
      SENTRY_MIN_SEVERITY: 'urgent',
    });
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    expect(problems.map((p) => p.split(':')[0])).toEqual([
      'SENTRY_DSN',
      'SENTRY_TRACES_SAMPLE_RATE',
      'SENTRY_PROFILES_SAMPLE_RATE',
      'SENTRY_MIN_SEVERITY',
    ]);
    expect(problems.join('\n')).not.toContain('secret-key');
  });

  it('is part of the whole configuration', () => {
    expect(() => testConfig({ SENTRY_DSN: 'nope' })).toThrow(/SENTRY_DSN/);
    expect(testConfig({ SENTRY_DSN: 'http://k@127.0.0.1:9/1' }).sentry.dsn).toBe(
      'http://k@127.0.0.1:9/1',
    );
  });
});

describe('parseSentryDsn', () => {
  it('accepts what the SDK accepts and refuses the rest', () => {
    expect(parseSentryDsn('https://pub@o1.ingest.sentry.io/123')).toEqual({
      protocol: 'https',
      publicKey: 'pub',
      host: 'o1.ingest.sentry.io',
      port: '',
      projectId: '123',
    });
    expect(parseSentryDsn('http://pub@127.0.0.1:9000/sub/path/7')?.projectId).toBe('7');
    for (const bad of [
      '',
      'sentry',
      'ftp://pub@h/1',
      'https://h/1',
      'https://pub@h/x',
      'https://pub@h/1?a=b',
    ]) {
      expect(parseSentryDsn(bad), bad).toBeNull();
    }
  });
});
