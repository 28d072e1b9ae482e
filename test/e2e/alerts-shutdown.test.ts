import { afterAll, beforeAll, expect, it } from 'vitest';
import { WebhookReceiver } from '../helpers/alert-receivers.ts';
import { AttackClient } from '../helpers/attack-client.ts';
import { sleep } from '../helpers/attack-stores.ts';
import { openSqliteTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { ServerProcess } from '../helpers/server-processes.ts';

const SECRET = 'shutdown-webhook-secret-0123456789';
const SHUTDOWN_TIMEOUT_MS = 3000;

let db: TestDatabase;
const hook = new WebhookReceiver(SECRET);
beforeAll(async () => {
  await hook.start();
  db = await openSqliteTestDatabase();
});
afterAll(async () => {
  await hook.close();
  await db?.cleanup();
});

it('SIGTERM with an alert stuck on a slow webhook: exits 0 within the shutdown timeout, the alert stored as dropped', async () => {
  // Every attempt hangs 20 s: nothing can be delivered before shutdown.
  hook.behaviour = () => ({ status: 200, delayMs: 20_000 });
  const server = await ServerProcess.start({
    databaseUrl: db.url,
    env: {
      ALERT_WEBHOOK_URL: hook.url,
      ALERT_WEBHOOK_SECRET: SECRET,
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    },
  });
  let code: number | null = null;
  try {
    const attacker = new AttackClient('127.34.0.1');
    for (let i = 0; i < 5; i += 1) {
      await attacker.post(`${server.url}/api/auth/login`, {
        email: 'nobody@example.com',
        password: `guess ${i}`,
      });
    }
    const deadline = Date.now() + 20_000;
    while (hook.received.length === 0 && Date.now() < deadline) await sleep(50);
    expect(hook.received.length, server.output()).toBe(1);
  } finally {
    const started = Date.now();
    code = await server.stop();
    // The flux-auth force-exit (code 1) would fire at the timeout: exit 0 means it finished first.
    expect(code, server.output()).toBe(0);
    expect(Date.now() - started).toBeLessThan(SHUTDOWN_TIMEOUT_MS + 10_000);
  }
  const rows = await db.handle.db.selectFrom('alerts').selectAll().execute();
  expect(rows.map((r) => [r.channel, r.kind, r.outcome])).toEqual([
    ['webhook', 'first', 'dropped'],
  ]);
  expect(JSON.parse(rows[0]?.details ?? '{}')).toMatchObject({
    errorClass: 'shutdown',
    attempts: 1,
  });
}, 60_000);
