import { afterAll, beforeAll, expect, it } from 'vitest';
import { Alerter } from '../../src/alerts/alerter.ts';
import {
  DEFAULT_DELIVERY_OPTIONS,
  DeliveryQueue,
  type DeliveryResult,
} from '../../src/alerts/delivery-queue.ts';
import { createEmailChannel } from '../../src/alerts/email-channel.ts';
import { MemoryAlertWindowStore } from '../../src/alerts/memory-alert-window-store.ts';
import { RedisAlertWindowStore } from '../../src/alerts/redis-alert-window-store.ts';
import { createWebhookChannel } from '../../src/alerts/webhook-channel.ts';
import type { SecurityEvent } from '../../src/events/index.ts';
import { createRedisClient } from '../../src/store/index.ts';
import { SmtpReceiver, WebhookReceiver } from '../helpers/alert-receivers.ts';
import { freePort } from '../helpers/attack-redis-server.ts';

const SECRET = 'alerter-test-secret-0123456789';
const T0 = 1_800_000_000_000;
const smtp = new SmtpReceiver();
const hook = new WebhookReceiver(SECRET);
beforeAll(async () => {
  await smtp.start();
  await hook.start();
});
afterAll(async () => {
  await smtp.close();
  await hook.close();
});

function blockEvent(
  ip: string,
  at: number,
  severity: SecurityEvent['severity'] = 'high',
): SecurityEvent {
  return {
    type: 'bot_activity',
    severity,
    at,
    ip,
    userId: null,
    userAgent: null,
    rule: 'bot_activity',
    requestId: null,
    details: {
      requests: 30,
      limit: 30,
      windowMs: 60_000,
      blockSeconds: 900,
      mode: 'enforce',
      action: 'block',
      ipKey: ip,
      route: 'login',
    },
  };
}

function build(
  windows: MemoryAlertWindowStore | RedisAlertWindowStore,
  local: MemoryAlertWindowStore,
) {
  let now = T0;
  const results: DeliveryResult[] = [];
  const errors: string[] = [];
  const alerter = new Alerter({
    channels: [
      createEmailChannel({
        smtpUrl: smtp.url,
        from: 'f@example.com',
        to: ['o@example.com'],
        minSeverity: 'critical',
      }),
      createWebhookChannel({ url: hook.url, secret: SECRET, minSeverity: 'medium' }),
    ],
    windows,
    local,
    isLocalOnly: windows === local,
    queue: new DeliveryQueue({
      ...DEFAULT_DELIVERY_OPTIONS,
      clock: () => now,
      random: () => 0.5,
      onResult: (r) => results.push(r),
    }),
    windowSeconds: 60,
    dashboardUrl: null,
    clock: () => now,
    tickIntervalMs: 60_000,
    onError: (_error, operation) => errors.push(operation),
  });
  return { alerter, results, errors, advance: (ms: number) => (now += ms) };
}

it('sends each alert only to the channels whose threshold it reaches, and ignores events below all', async () => {
  hook.received.length = 0;
  const smtpBefore = smtp.received.length;
  const local = new MemoryAlertWindowStore();
  const { alerter, results } = build(local, local);
  await alerter.handle(blockEvent('192.0.2.1', T0, 'low'));
  await alerter.handle(blockEvent('192.0.2.2', T0, 'high'));
  await alerter.close(5000);
  // The low event opened nothing; the high one went to the webhook (medium) only.
  expect(results.map((r) => `${r.channel} ${r.message.kind} ${r.outcome}`)).toEqual([
    'webhook first sent',
  ]);
  expect(smtp.received.length).toBe(smtpBefore);
  expect(JSON.parse(hook.received[0]?.rawBody ?? '{}').flux.facts.topIps).toEqual([
    { value: '192.0.2.2', count: 1 },
  ]);
});

it('without Redis, shutdown sends the digest of an open window instead of losing it', async () => {
  hook.received.length = 0;
  const local = new MemoryAlertWindowStore();
  const { alerter, results, advance } = build(local, local);
  await alerter.handle(blockEvent('192.0.2.10', T0));
  advance(1000);
  await alerter.handle(blockEvent('192.0.2.11', T0 + 1000));
  await alerter.handle(blockEvent('192.0.2.12', T0 + 1000));
  await alerter.tick();
  await alerter.close(5000);
  expect(
    results.map((r) => `${r.message.kind} ${r.message.facts.eventCount} ${r.outcome}`),
  ).toEqual(['first 1 sent', 'digest 2 sent']);
});

it('when Redis fails, alerts per instance rather than not at all', async () => {
  hook.received.length = 0;
  const client = createRedisClient(`redis://127.0.0.1:${await freePort()}`, {
    connectTimeoutMs: 200,
  });
  const local = new MemoryAlertWindowStore();
  const { alerter, results, errors, advance } = build(
    new RedisAlertWindowStore(client, { keyPrefix: 'x:' }),
    local,
  );
  try {
    await alerter.handle(blockEvent('192.0.2.20', T0));
    await alerter.handle(blockEvent('192.0.2.21', T0));
    advance(61_000);
    await alerter.tick();
    await alerter.close(5000);
  } finally {
    client.disconnect();
  }
  expect(errors).toContain('alert window add');
  expect(results.map((r) => `${r.message.kind} ${r.message.facts.eventCount}`)).toEqual([
    'first 1',
    'digest 1',
  ]);
});
