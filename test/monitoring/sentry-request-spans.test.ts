// Sentry in this test process (vitest gives each file its own worker), against a fake
// ingestion endpoint: what an unsampled request costs is counted in spans the SDK starts.
import * as Sentry from '@sentry/node';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SentryConfig } from '../../src/config/index.ts';
import { instrumentFastifyApp } from '../../src/monitoring/sentry-fastify.ts';
import { buildSentryOptions } from '../../src/monitoring/sentry-options.ts';
import { SentryCounters } from '../../src/monitoring/sentry-stats.ts';
import { type FakeSentry, startFakeSentry } from '../helpers/fake-sentry.ts';

let fake: FakeSentry;
let app: FastifyInstance;
let url: string;
// The sampler's random draws, set per test: below 0.1 samples, above does not.
let draw = 0.5;
let spansStarted = 0;

beforeAll(async () => {
  fake = await startFakeSentry();
  const config: SentryConfig = {
    dsn: fake.dsn,
    environment: 'production',
    release: 'r-1',
    tracesSampleRate: 0.1,
    profilesSampleRate: 0,
    minSeverity: 'high',
  };
  Sentry.init(buildSentryOptions(config, new SentryCounters(), () => draw));
  // Every span but the fake endpoint's own: it runs in this process too, and the SDK's envelopes
  // of the first sampled requests may reach it (an http.server span each) before the last ends.
  Sentry.getClient()?.on('spanStart', (span) => {
    // An OpenTelemetry span is named in `name` when it starts (`description` comes later).
    const json = Sentry.spanToJSON(span) as { description?: string; name?: string };
    if (!(json.description ?? json.name ?? '').endsWith('/envelope/')) spansStarted += 1;
  });
  app = Fastify();
  instrumentFastifyApp(app);
  // A login-like route: several hooks, as the real app has.
  for (const hook of ['onRequest', 'preValidation', 'preHandler', 'onSend'] as const) {
    app.addHook(hook, async () => {});
  }
  app.post('/api/items/:id', async () => ({ ok: true }));
  url = await app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await app?.close();
  await Sentry.close(2000);
  await fake?.close();
});

async function post(count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${url}/api/items/${i}`, { method: 'POST' });
    expect(response.status).toBe(200);
  }
}

describe('Sentry cost of a request that is not sampled', () => {
  it('starts no span at all for an unsampled request', async () => {
    draw = 0.5;
    spansStarted = 0;
    await post(20);
    expect(spansStarted).toBe(0);
  });

  it('a sampled request: one transaction named by route, with one route-handler span', async () => {
    draw = 0.05;
    spansStarted = 0;
    await post(3);
    // The http.server span and the handler span, not one per hook.
    expect(spansStarted).toBe(6);
    await fake.waitFor(() => fake.items('transaction').length === 3, 10_000);
    const [transaction] = fake.items('transaction') as {
      transaction: string;
      spans: { op: string }[];
      contexts: { trace: { data: Record<string, unknown> } };
    }[];
    expect(transaction?.transaction).toBe('POST /api/items/:id');
    expect(transaction?.spans.map((span) => span.op)).toEqual(['request_handler.fastify']);
    // The configured rate, not the 1 the sampler returns for an already-sampled request.
    expect(transaction?.contexts.trace.data['sentry.sample_rate']).toBe(0.1);
  });
});
