import { describe, expect, it } from 'vitest';
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
  isDistinctIpsCapped: false,
  isDistinctAccountsCapped: false,
  untrackedIpEvents: 0,
  untrackedAccountEvents: 0,
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

describe('a window past its tracking cap', () => {
  // 10,000 IPs and 800 accounts tracked; 2,345 events from further IPs, 17 about further accounts.
  const capped = {
    ...summary,
    rule: 'refresh_token_reuse',
    actions: {},
    eventCount: 52_000,
    distinctIps: 10_000,
    distinctAccounts: 800,
    isDistinctIpsCapped: true,
    isDistinctAccountsCapped: true,
    untrackedIpEvents: 2345,
    untrackedAccountEvents: 17,
  };

  it('says the distinct IPs are a lower bound in the subject', () => {
    expect(digestMessage(capped, null).subject).toBe(
      '[flux-auth] high: refresh_token_reuse — 52,000 events from 10,000+ IPs in 5 min',
    );
  });

  it('shows `10,000+` and the untracked events in both e-mail parts', () => {
    const email = renderEmail(digestMessage(capped, null));
    expect(email.text).toContain('Events: 52,000\n');
    expect(email.text).toContain('Distinct IPs: 10,000+\n');
    expect(email.text).toContain('Distinct accounts: 800+\n');
    expect(email.text).toContain(
      'Note: More than 10,000 IPs: a window tracks at most 10,000; 2,345 events came from untracked IPs',
    );
    expect(email.text).toContain(
      'Note: More than 800 accounts: a window tracks at most 800; 17 events concerned untracked accounts',
    );
    expect(email.html).toContain('<th align="left">Distinct IPs</th><td>10,000+</td>');
    expect(email.html).toContain('2,345 events came from untracked IPs');
  });

  it('gives the webhook the flags, the untracked counts and the notes, also in its text', () => {
    const body = renderWebhookBody(digestMessage(capped, null));
    expect(body.flux.facts).toMatchObject({
      distinctIps: 10_000,
      isDistinctIpsCapped: true,
      untrackedIpEvents: 2345,
      distinctAccounts: 800,
      isDistinctAccountsCapped: true,
      untrackedAccountEvents: 17,
    });
    expect(body.flux.notes).toHaveLength(2);
    expect(body.text).toContain('10,000+ IPs');
    expect(body.text).toContain('2,345 events came from untracked IPs');
  });

  it('adds no note and no `+` to a window under its cap', () => {
    const message = digestMessage(summary, null);
    expect(message.notes).toEqual([]);
    expect(renderEmail(message).text).toContain('Distinct IPs: 37\n');
    expect(renderWebhookBody(message).text).not.toContain('\n');
    expect(renderWebhookBody(message).flux.facts).toMatchObject({
      isDistinctIpsCapped: false,
      untrackedIpEvents: 0,
    });
  });
});
