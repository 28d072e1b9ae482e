import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WebhookReceiver } from '../helpers/alert-receivers.ts';
import { AttackClient } from '../helpers/attack-client.ts';
import { securityEvents, sleep } from '../helpers/attack-stores.ts';
import { openSqliteTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { createTestService, type TestService } from '../helpers/test-service.ts';

const SMTP_PASSWORD = 'smtp-pass-Zq81x';
const WEBHOOK_SECRET = 'webhook-secret-Kp20-0123456789abcdef';

let db: TestDatabase;
let service: TestService;
const lines: string[] = [];
const hook = new WebhookReceiver(WEBHOOK_SECRET);
// A real SMTP server that asks for a login and refuses every one.
const smtp = new SMTPServer({
  disabledCommands: ['STARTTLS'],
  allowInsecureAuth: true,
  logger: false,
  onAuth: (_auth, _session, callback) => callback(new Error('535 Authentication failed')),
});

beforeAll(async () => {
  await hook.start();
  hook.behaviour = () => ({ status: 500 });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
  const { port } = smtp.server.address() as AddressInfo;
  db = await openSqliteTestDatabase();
  service = await createTestService(db.handle, {
    env: {
      LOG_LEVEL: 'debug',
      SMTP_URL: `smtp://alerts:${SMTP_PASSWORD}@127.0.0.1:${port}`,
      ALERT_EMAIL_FROM: 'flux@example.com',
      ALERT_EMAIL_TO: 'ops@example.com',
      ALERT_WEBHOOK_URL: hook.url,
      ALERT_WEBHOOK_SECRET: WEBHOOK_SECRET,
    },
    alertDelivery: { maxAttempts: 2, baseDelayMs: 50, attemptTimeoutMs: 3000 },
    logStream: { write: (line: string) => lines.push(line) },
  });
  await service.listen();
});
afterAll(async () => {
  await service?.close();
  await db?.cleanup();
  await hook.close();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
});

it('failed deliveries leave neither the SMTP password nor the webhook secret in logs, rows or events', async () => {
  const attacker = new AttackClient('127.35.0.1');
  for (let i = 0; i < 5; i += 1) {
    await attacker.post(`${service.url}/api/auth/login`, {
      email: 'x@example.com',
      password: `g${i}`,
    });
  }
  const deadline = Date.now() + 20_000;
  let failures = await securityEvents(service, 'alert_delivery_failed');
  while (failures.length < 2 && Date.now() < deadline) {
    await sleep(100);
    failures = await securityEvents(service, 'alert_delivery_failed');
  }
  expect(failures.map((f) => f.details.channel).sort()).toEqual(['email', 'webhook']);
  const rows = await service.services.database.db.selectFrom('alerts').selectAll().execute();
  expect(rows.map((r) => `${r.channel} ${r.outcome}`).sort()).toEqual([
    'email failed',
    'webhook failed',
  ]);
  const everything = [lines.join('\n'), JSON.stringify(rows), JSON.stringify(failures)].join('\n');
  expect(everything).toContain('alert delivery finished');
  expect(everything).not.toContain(SMTP_PASSWORD);
  expect(everything).not.toContain(WEBHOOK_SECRET);
});
