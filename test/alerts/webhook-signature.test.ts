import { describe, expect, it } from 'vitest';
import { digestMessage } from '../../src/alerts/alert-message.ts';
import { renderWebhookBody } from '../../src/alerts/render-webhook.ts';
import { isValidWebhookSignature, signWebhook } from '../../src/alerts/webhook-signature.ts';
import { loadReadmeVerifier } from '../helpers/alert-receivers.ts';

const SECRET = 'receiver-shared-secret-0123456789';
const NOW_S = 1_800_000_000;
const body = JSON.stringify(
  renderWebhookBody(
    digestMessage(
      {
        rule: 'brute_force',
        severity: 'high',
        eventCount: 37,
        distinctIps: 37,
        distinctAccounts: 0,
        isDistinctIpsCapped: false,
        isDistinctAccountsCapped: false,
        untrackedIpEvents: 0,
        untrackedAccountEvents: 0,
        topIps: [{ value: '203.0.113.9', count: 1 }],
        topAccounts: [],
        firstAt: NOW_S * 1000 - 290_000,
        lastAt: NOW_S * 1000 - 10_000,
        actions: { block: 37 },
        windowStart: NOW_S * 1000 - 300_000,
        windowEnd: NOW_S * 1000,
      },
      'https://auth.example.com/admin',
    ),
  ),
);

describe('the README verification recipe, run as printed', async () => {
  const verify = await loadReadmeVerifier();

  it('accepts what flux-auth signs', () => {
    const header = signWebhook(SECRET, body, NOW_S);
    expect(header).toMatch(/^t=1800000000,v1=[0-9a-f]{64}$/);
    expect(verify(SECRET, header, body, NOW_S)).toBe(true);
    expect(verify(SECRET, header, body, NOW_S + 299)).toBe(true);
  });

  it('rejects a tampered body, another secret, a missing or malformed header', () => {
    const header = signWebhook(SECRET, body, NOW_S);
    const tampered = body.replace('"eventCount":37', '"eventCount":3');
    expect(tampered).not.toBe(body);
    expect(verify(SECRET, header, tampered, NOW_S)).toBe(false);
    expect(verify('another-secret-0123456789abcdef', header, body, NOW_S)).toBe(false);
    expect(verify(SECRET, undefined, body, NOW_S)).toBe(false);
    expect(verify(SECRET, header.replace('v1=', 'v0='), body, NOW_S)).toBe(false);
    // The timestamp is signed too: moving it forward breaks the signature.
    const moved = header.replace(`t=${NOW_S}`, `t=${NOW_S + 400}`);
    expect(verify(SECRET, moved, body, NOW_S + 400)).toBe(false);
  });

  it('rejects a replay more than 300 s after signing', () => {
    const header = signWebhook(SECRET, body, NOW_S);
    expect(verify(SECRET, header, body, NOW_S + 301)).toBe(false);
    expect(verify(SECRET, header, body, NOW_S + 3600)).toBe(false);
  });

  it('agrees with the service-side check on every case', () => {
    const header = signWebhook(SECRET, body, NOW_S);
    for (const [h, b, now] of [
      [header, body, NOW_S],
      [header, `${body} `, NOW_S],
      [header, body, NOW_S + 301],
    ] as const) {
      expect(isValidWebhookSignature(SECRET, h, b, now)).toBe(verify(SECRET, h, b, now));
    }
  });
});
