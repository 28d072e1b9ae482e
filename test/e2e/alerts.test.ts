import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SmtpReceiver, WebhookReceiver } from '../helpers/alert-receivers.ts';
import { AttackClient } from '../helpers/attack-client.ts';
import { securityEvents, sleep } from '../helpers/attack-stores.ts';
import { openSqliteTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { readJson } from '../helpers/json.ts';
import { createTestService, type TestService } from '../helpers/test-service.ts';

const SECRET = 'e2e-webhook-secret-0123456789abcdef';
const ADMIN = {
  email: 'alerts-admin@example.com',
  password: 'admin passphrase for alerts',
  name: 'A',
};
const USER = {
  email: 'alerts-user@example.com',
  password: 'user passphrase for alerts',
  name: 'U',
};

/** Waits until `check` holds (polling every 50 ms); throws with `what` after `timeoutMs`. */
async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function alertRows(service: TestService) {
  return service.services.database.db
    .selectFrom('alerts')
    .selectAll()
    .orderBy('created_at')
    .execute();
}

/**
 * Five wrong logins from `ip` on an account of its own: the fifth blocks the IP (one
 * brute_force event); one account per IP keeps account_guard out of it.
 */
async function bruteForce(service: TestService, ip: string): Promise<void> {
  const attacker = new AttackClient(ip);
  for (let i = 0; i < 5; i += 1) {
    await attacker.post(`${service.url}/api/auth/login`, {
      email: `victim-${ip}@example.com`,
      password: `bad ${i}`,
    });
  }
}

async function adminToken(service: TestService): Promise<string> {
  await service.services.accounts.signup(ADMIN);
  await service.services.accounts.setRole(ADMIN.email, 'admin');
  const login = await fetch(`${service.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: ADMIN.email, password: ADMIN.password }),
  });
  return (await readJson(login)).accessToken as string;
}

describe('alerts over real SMTP and a real signed webhook', () => {
  let db: TestDatabase;
  let service: TestService;
  const smtp = new SmtpReceiver();
  const hook = new WebhookReceiver(SECRET);
  let token: string;
  // The service's clock: real time plus what the tests skip, so a window ends when a test says.
  let skippedMs = 0;
  const endWindow = () => {
    skippedMs += 61_000;
  };

  beforeAll(async () => {
    await smtp.start();
    await hook.start();
    db = await openSqliteTestDatabase();
    service = await createTestService(db.handle, {
      env: {
        SMTP_URL: smtp.url,
        ALERT_EMAIL_FROM: 'flux-auth@example.com',
        ALERT_EMAIL_TO: 'ops@example.com,sec@example.com',
        ALERT_WEBHOOK_URL: hook.url,
        ALERT_WEBHOOK_SECRET: SECRET,
        ALERT_WINDOW_SECONDS: '60',
        PUBLIC_URL: 'https://auth.example.com',
      },
      alertTickIntervalMs: 100,
      clock: () => Date.now() + skippedMs,
    });
    await service.listen();
    await service.services.accounts.signup(USER);
    token = await adminToken(service);
  }, 60_000);
  afterAll(async () => {
    await service?.close();
    await db?.cleanup();
    await smtp.close();
    await hook.close();
  });

  it('sends the first brute_force block at once, then one digest of the rest at the window end', async () => {
    await bruteForce(service, '127.31.0.1');
    await until(
      'the first e-mail and webhook',
      () => smtp.received.length === 1 && hook.received.length === 1,
    );
    const first = smtp.received[0];
    expect(first?.subject).toBe('[flux-auth] high: brute_force — IP 127.31.0.1 blocked');
    expect(first?.to).toEqual(['ops@example.com', 'sec@example.com']);
    expect(first?.text).toContain('Dashboard: https://auth.example.com/admin');
    expect(first?.html).toContain('<a href="https://auth.example.com/admin">');
    // Two more IPs blocked within the window: held for the digest.
    await bruteForce(service, '127.31.0.2');
    await bruteForce(service, '127.31.0.3');
    await sleep(300);
    expect(smtp.received).toHaveLength(1);
    endWindow();
    await until('the digest', () => smtp.received.length === 2 && hook.received.length === 2);
    const digest = smtp.received[1];
    expect(digest?.subject).toBe('[flux-auth] high: brute_force — 2 IPs blocked in 1 min');
    expect(digest?.text).toMatch(/Events: 2\n/);
    expect(digest?.text).toContain('Top IPs: 127.31.0.3 (1), 127.31.0.2 (1)');
    expect(digest?.text).toContain('Actions taken: block × 2');
    const body = JSON.parse(hook.received[1]?.rawBody ?? '{}');
    expect(body.text).toBe(
      '[flux-auth] high: brute_force — 2 IPs blocked in 1 min <https://auth.example.com/admin|dashboard>',
    );
    expect(body.flux).toMatchObject({
      version: 1,
      kind: 'digest',
      rule: 'brute_force',
      severity: 'high',
      facts: { eventCount: 2, distinctIps: 2, actions: { block: 2 } },
    });
    expect(hook.received.every((r) => r.isVerified)).toBe(true);
    process.stdout.write(
      `\n--- e-mail as received ---\n${digest?.raw}\n--- webhook body ---\n${hook.received[1]?.rawBody}\n--- signature ---\n${hook.received[1]?.headers['x-flux-signature']}\n`,
    );
  });

  it('lists each message per channel in GET /api/admin/alerts with the window state, and counts them', async () => {
    await until('four rows', async () => (await alertRows(service)).length === 4);
    const res = await fetch(`${service.url}/api/admin/alerts?limit=3`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    const page = await readJson(res);
    expect(page.alerts).toHaveLength(3);
    expect(page.nextCursor).toEqual(expect.any(String));
    const next = await readJson(
      await fetch(`${service.url}/api/admin/alerts?cursor=${page.nextCursor}`, {
        headers: { authorization: `Bearer ${token}` },
      }),
    );
    const all = [...page.alerts, ...next.alerts];
    expect(
      all
        .map((a: { kind: string; channel: string; outcome: string; eventCount: number }) =>
          [a.kind, a.channel, a.outcome, a.eventCount].join(' '),
        )
        .sort(),
    ).toEqual([
      'digest email sent 2',
      'digest webhook sent 2',
      'first email sent 1',
      'first webhook sent 1',
    ]);
    expect(all[0].details).toMatchObject({ attempts: 1, errorClass: null });
    expect(page.state.channels).toEqual(['email', 'webhook']);
    expect(page.state.windowSeconds).toBe(60);
    const metrics = await service.services.metrics?.registry.getSingleMetricAsString(
      'flux_auth_alert_deliveries_total',
    );
    expect(metrics).toContain('flux_auth_alert_deliveries_total{channel="email",outcome="sent"} 2');
    expect(metrics).toContain(
      'flux_auth_alert_deliveries_total{channel="webhook",outcome="sent"} 2',
    );
    expect((await fetch(`${service.url}/api/admin/alerts`)).status).toBe(401);
  });

  it('shows an open window in the state while events are held', async () => {
    await bruteForce(service, '127.31.1.1');
    await bruteForce(service, '127.31.1.2');
    const page = await readJson(
      await fetch(`${service.url}/api/admin/alerts`, {
        headers: { authorization: `Bearer ${token}` },
      }),
    );
    // The window after the digest holds these two, due a window after the last one ended.
    expect(page.state.rules).toEqual([
      {
        rule: 'brute_force',
        isOpen: true,
        windowEnd: expect.any(String),
        eventCount: 2,
        distinctIps: 2,
      },
    ]);
    expect(Date.parse(page.state.rules[0].windowEnd)).toBeGreaterThan(Date.now() + skippedMs);
  });

  it('POST /api/admin/alerts/test sends a test to every channel and answers each outcome', async () => {
    const before = smtp.received.length;
    const res = await fetch(`${service.url}/api/admin/alerts/test`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    expect((await readJson(res)).results).toEqual([
      { channel: 'email', outcome: 'sent', attempts: 1, errorClass: null },
      { channel: 'webhook', outcome: 'sent', attempts: 1, errorClass: null },
    ]);
    expect(smtp.received.slice(before).map((m) => m.subject)).toContain(
      '[flux-auth] info: test — test message, no action needed',
    );
  });

  it('never alerts on alert_delivery_failed, whatever its severity', async () => {
    // Send the open window's digest, then let the next (empty) window close.
    endWindow();
    await until('the second digest', () => smtp.received.length >= 4);
    endWindow();
    await until(
      'quiet',
      async () =>
        (await service.services.alerting?.alerter.state())?.every((s) => !s.isOpen) ?? false,
    );
    const before = smtp.received.length;
    service.services.bus.publish({
      type: 'alert_delivery_failed',
      severity: 'critical',
      at: Date.now(),
      ip: null,
      userId: null,
      userAgent: null,
      rule: null,
      requestId: null,
      details: {
        channel: 'email',
        kind: 'first',
        alertRule: 'x',
        attempts: 5,
        errorClass: 'timeout',
      },
    });
    await sleep(500);
    expect(smtp.received.length).toBe(before);
    expect((await service.services.alerting?.alerter.state())?.map((s) => s.rule)).not.toContain(
      'alert_delivery_failed',
    );
  });
});

/** A TCP server that accepts and never says a word: an SMTP server that hangs. */
async function silentServer(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `smtp://127.0.0.1:${port}`,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describe('when a channel is down or slow', () => {
  // A database per test: each counts its own alert rows.
  let db: TestDatabase;
  beforeEach(async () => {
    db = await openSqliteTestDatabase();
  });
  afterEach(() => db?.cleanup());

  it('SMTP down: retries, then one alert_delivery_failed event, while every login succeeds', async () => {
    const smtp = await silentServer();
    const service = await createTestService(db.handle, {
      env: {
        SMTP_URL: smtp.url,
        ALERT_EMAIL_FROM: 'f@example.com',
        ALERT_EMAIL_TO: 'o@example.com',
      },
      // At least ~9.5 s of attempts and waits: far longer than the logins below take even on a
      // busy machine, so they demonstrably ran while the alert was still being tried.
      alertDelivery: {
        attemptTimeoutMs: 3000,
        maxAttempts: 3,
        baseDelayMs: 500,
        deadlineMs: 30_000,
      },
    });
    try {
      await service.listen();
      await service.services.accounts.signup(USER);
      await bruteForce(service, '127.32.0.1');
      // Logins go on while the alert hangs on the silent server.
      const user = new AttackClient('127.32.0.9');
      const statuses: number[] = [];
      for (let i = 0; i < 5; i += 1) {
        statuses.push((await user.post(`${service.url}/api/auth/login`, USER)).status);
      }
      expect(statuses).toEqual(Array(5).fill(200));
      expect(await alertRows(service)).toEqual([]);
      await until('the failure', async () => (await alertRows(service)).length === 1, 30_000);
      const [row] = await alertRows(service);
      expect(row).toMatchObject({ channel: 'email', kind: 'first', outcome: 'failed' });
      expect(JSON.parse(row?.details ?? '{}')).toMatchObject({
        attempts: 3,
        errorClass: 'timeout',
      });
      await sleep(300);
      const failures = await securityEvents(service, 'alert_delivery_failed');
      expect(failures).toHaveLength(1);
      expect(failures[0]?.details).toEqual({
        channel: 'email',
        kind: 'first',
        alertRule: 'brute_force',
        attempts: 3,
        errorClass: 'timeout',
      });
      // The failure event itself opened no window and queued no message.
      expect(await alertRows(service)).toHaveLength(1);
      expect(service.services.alerting?.alerter).toBeDefined();
    } finally {
      await service.close();
      await smtp.close();
    }
  }, 60_000);

  it('a webhook taking 10 s: requests unaffected, the deadline ends the delivery', async () => {
    const hook = new WebhookReceiver(SECRET);
    await hook.start();
    hook.behaviour = () => ({ status: 200, delayMs: 10_000 });
    const service = await createTestService(db.handle, {
      env: { ALERT_WEBHOOK_URL: hook.url, ALERT_WEBHOOK_SECRET: SECRET },
      alertDelivery: { attemptTimeoutMs: 3000, maxAttempts: 5, baseDelayMs: 200, deadlineMs: 5000 },
    });
    try {
      await service.listen();
      await service.services.accounts.signup(USER);
      await bruteForce(service, '127.33.0.1');
      const user = new AttackClient('127.33.0.9');
      const statuses: number[] = [];
      for (let i = 0; i < 5; i += 1) {
        statuses.push((await user.post(`${service.url}/api/auth/login`, USER)).status);
      }
      expect(statuses).toEqual(Array(5).fill(200));
      await until('the failure', async () => (await alertRows(service)).length === 1, 30_000);
      const [row] = await alertRows(service);
      expect(row).toMatchObject({ channel: 'webhook', outcome: 'failed' });
      const details = JSON.parse(row?.details ?? '{}');
      expect(details.errorClass).toBe('timeout');
      // Attempts of 3 s within a 5 s deadline: two at most, and none after the deadline.
      expect(details.attempts).toBeLessThanOrEqual(2);
      // Ended by the 5 s deadline (plus slack for a busy machine), not by the 10 s answers.
      const took = Number(row?.created_at) - Date.parse(details.queuedAt);
      expect(took, JSON.stringify(details)).toBeLessThan(5000 + 3000);
      // An attempt cut by the deadline may be aborted before the receiver has read it.
      expect(hook.received.length).toBeGreaterThanOrEqual(1);
      expect(hook.received.length).toBeLessThanOrEqual(details.attempts);
    } finally {
      await service.close();
      await hook.close();
    }
  }, 60_000);
});
