import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertChannel } from '../../src/alerts/alert-channel.ts';
import { testAlertMessage } from '../../src/alerts/alert-message.ts';
import {
  DEFAULT_DELIVERY_OPTIONS,
  DeliveryQueue,
  type DeliveryQueueOptions,
  type DeliveryResult,
} from '../../src/alerts/delivery-queue.ts';
import { createWebhookChannel } from '../../src/alerts/webhook-channel.ts';
import { WebhookReceiver } from '../helpers/alert-receivers.ts';

const SECRET = 'queue-test-secret-0123456789';
const message = testAlertMessage(Date.now(), null);

function queueWith(overrides: Partial<DeliveryQueueOptions>, results: DeliveryResult[]) {
  return new DeliveryQueue({
    ...DEFAULT_DELIVERY_OPTIONS,
    baseDelayMs: 20,
    maxDelayMs: 200,
    clock: Date.now,
    random: () => 0.5,
    onResult: (result) => results.push(result),
    ...overrides,
  });
}

describe('delivery queue over a real HTTP receiver', () => {
  const receiver = new WebhookReceiver(SECRET);
  let channel: AlertChannel;
  beforeAll(async () => {
    await receiver.start();
    channel = createWebhookChannel({ url: receiver.url, secret: SECRET, minSeverity: 'high' });
  });
  afterAll(() => receiver.close());

  it('webhook answering 500, then 200: delivered on the retry, signed each time', async () => {
    receiver.received.length = 0;
    receiver.behaviour = (n) => ({ status: n === 0 ? 500 : 200 });
    const results: DeliveryResult[] = [];
    const result = await queueWith({}, results).deliver(channel, message);
    expect(result).toMatchObject({
      channel: 'webhook',
      outcome: 'sent',
      attempts: 2,
      errorClass: null,
    });
    expect(results).toHaveLength(1);
    expect(receiver.received.map((r) => [r.status, r.isVerified])).toEqual([
      [500, true],
      [200, true],
    ]);
  });

  it('gives up after the last attempt with the class of the last error', async () => {
    receiver.received.length = 0;
    receiver.behaviour = () => ({ status: 503 });
    const result = await queueWith({ maxAttempts: 3 }, []).deliver(channel, message);
    expect(result).toMatchObject({ outcome: 'failed', attempts: 3, errorClass: 'http_503' });
    expect(receiver.received).toHaveLength(3);
  });

  it('a webhook that takes 10 s: each attempt is cut at its timeout and the deadline ends it', async () => {
    receiver.received.length = 0;
    receiver.behaviour = () => ({ status: 200, delayMs: 10_000 });
    const started = Date.now();
    const result = await queueWith(
      { attemptTimeoutMs: 300, deadlineMs: 1000, maxAttempts: 10 },
      [],
    ).deliver(channel, message);
    const elapsed = Date.now() - started;
    expect(result).toMatchObject({ outcome: 'failed', errorClass: 'timeout' });
    // Never past the deadline by more than scheduling slack (far below the webhook's 10 s).
    expect(elapsed).toBeLessThan(5000);
    expect(result.attempts).toBeGreaterThanOrEqual(2);
    expect(result.attempts).toBeLessThan(10);
  });

  it('cuts each attempt at its timeout while garbage collection runs', async () => {
    // On Node 20 a timeout signal inside AbortSignal.any() was collected and never fired
    // (nodejs/node#57736): under GC pressure a hung receiver held the attempt for its full 10 s.
    setFlagsFromString('--expose-gc');
    const collectGarbage = runInNewContext('gc') as () => void;
    const collecting = setInterval(collectGarbage, 10);
    try {
      receiver.received.length = 0;
      receiver.behaviour = () => ({ status: 200, delayMs: 10_000 });
      const started = Date.now();
      const result = await queueWith(
        { attemptTimeoutMs: 300, deadlineMs: 30_000, maxAttempts: 2 },
        [],
      ).deliver(channel, message);
      expect(result).toMatchObject({ outcome: 'failed', attempts: 2, errorClass: 'timeout' });
      // Two attempts of 300 ms and one short wait; a lost timer would take 10 s per attempt.
      expect(Date.now() - started).toBeLessThan(8000);
    } finally {
      clearInterval(collecting);
    }
  });

  it('drops what does not fit the bounded queue, and counts it', async () => {
    receiver.received.length = 0;
    receiver.behaviour = () => ({ status: 200, delayMs: 200 });
    const results: DeliveryResult[] = [];
    const queue = queueWith({ maxQueued: 3, concurrency: 1 }, results);
    const all = await Promise.all(Array.from({ length: 8 }, () => queue.deliver(channel, message)));
    // One sending, three waiting, four dropped at once.
    expect(all.map((r) => r.outcome).sort()).toEqual([
      ...Array(4).fill('dropped'),
      ...Array(4).fill('sent'),
    ]);
    expect(results).toHaveLength(8);
    expect(receiver.received).toHaveLength(4);
  });

  it('close flushes within its budget and drops the rest, never waiting for a slow receiver', async () => {
    receiver.received.length = 0;
    receiver.behaviour = (n) => ({ status: 200, delayMs: n === 0 ? 0 : 10_000 });
    const results: DeliveryResult[] = [];
    const queue = queueWith({ concurrency: 1 }, results);
    const pending = [0, 1, 2].map(() => queue.deliver(channel, message));
    await pending[0];
    const started = Date.now();
    await queue.close(300);
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await Promise.all(pending)).map((r) => r.outcome)).toEqual([
      'sent',
      'dropped',
      'dropped',
    ]);
    expect((await queue.deliver(channel, message)).outcome).toBe('dropped');
  });

  it('spreads retries with exponential backoff and jitter', async () => {
    receiver.received.length = 0;
    receiver.behaviour = () => ({ status: 500 });
    const delays: number[] = [];
    let draws = 0;
    // Jitter draws 0 then 1: delays of 50 % of 100 ms, then 100 % of 200 ms. The delays asked
    // for are recorded (not wall-clock gaps, which a busy machine stretches at random).
    const queue = queueWith(
      {
        baseDelayMs: 100,
        maxAttempts: 3,
        random: () => (draws++ === 0 ? 0 : 0.999),
        sleep: async (ms) => {
          delays.push(ms);
        },
      },
      [],
    );
    const result = await queue.deliver(channel, message);
    expect(result.outcome).toBe('failed');
    expect(result.attempts).toBe(3);
    expect(receiver.received).toHaveLength(3);
    expect(delays).toEqual([50, 200]);
  });
});
