import { expect, it } from 'vitest';
import { digestMessage, firstAlertMessage } from '../../src/alerts/alert-message.ts';
import { renderEmail } from '../../src/alerts/render-email.ts';
import { renderWebhookBody } from '../../src/alerts/render-webhook.ts';

const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);
const summary = {
  rule: 'brute_force',
  severity: 'high' as const,
  eventCount: 40,
  distinctIps: 37,
  distinctAccounts: 1,
  topIps: [{ value: '203.0.113.7', count: 3 }],
  topAccounts: [{ value: '<script>alert(1)</script>', count: 2 }],
  firstAt: T0,
  lastAt: T0 + 4 * 60_000 + 10_000,
  actions: { block: 37, throttle: 3 },
  windowStart: T0 - 1000,
  windowEnd: T0 + 900_000,
};

it('words the subject as `[flux-auth] <severity>: <rule> — <what happened>`', () => {
  expect(digestMessage(summary, null).subject).toBe(
    '[flux-auth] high: brute_force — 37 IPs blocked in 5 min',
  );
  const first = firstAlertMessage(
    'brute_force',
    { at: T0, ip: '198.51.100.4', account: null, action: 'block', severity: 'high' },
    null,
  );
  expect(first.subject).toBe('[flux-auth] high: brute_force — IP 198.51.100.4 blocked');
  const reuse = digestMessage({ ...summary, rule: 'refresh_token_reuse', actions: {} }, null);
  expect(reuse.subject).toBe(
    '[flux-auth] high: refresh_token_reuse — 40 events from 37 IPs in 5 min',
  );
});

it('renders text and HTML parts with every fact, escaping HTML, linking the dashboard when known', () => {
  const email = renderEmail(digestMessage(summary, 'https://auth.example.com/admin'));
  expect(email.text).toContain('Top accounts: <script>alert(1)</script> (2)');
  expect(email.text).toContain('Actions taken: block × 37, throttle × 3');
  expect(email.text).toContain('First event: 2026-11-28T12:00:00.000Z');
  expect(email.text).toContain('Dashboard: https://auth.example.com/admin');
  expect(email.html).not.toContain('<script>');
  expect(email.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; (2)');
  expect(renderEmail(digestMessage(summary, null)).text).not.toContain('Dashboard');
});

it('puts the Slack text on top and the structured alert under `flux`', () => {
  const body = renderWebhookBody(digestMessage(summary, null));
  expect(body.text).toBe('[flux-auth] high: brute_force — 37 IPs blocked in 5 min');
  expect(body.flux).toMatchObject({
    version: 1,
    kind: 'digest',
    rule: 'brute_force',
    facts: { eventCount: 40, distinctIps: 37, actions: { block: 37, throttle: 3 } },
    dashboardUrl: null,
  });
});
