import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSmtp, checkWebhook } from '../../src/cli/doctor-alerts.ts';
import { SmtpReceiver, WebhookReceiver } from '../helpers/alert-receivers.ts';
import { freePort } from '../helpers/attack-redis-server.ts';
import { runCli } from '../helpers/cli.ts';
import { openSqliteTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { TEST_JWT_SECRET, testConfig } from '../helpers/test-service.ts';

const SECRET = 'cli-webhook-secret-0123456789abcdef';
const FROM = { ALERT_EMAIL_FROM: 'flux@example.com', ALERT_EMAIL_TO: 'ops@example.com' };

describe('alert-test and doctor against real receivers', () => {
  const smtp = new SmtpReceiver();
  const hook = new WebhookReceiver(SECRET);
  let db: TestDatabase;
  beforeAll(async () => {
    await smtp.start();
    await hook.start();
    db = await openSqliteTestDatabase();
  });
  afterAll(async () => {
    await smtp.close();
    await hook.close();
    await db.cleanup();
  });

  it('`flux-auth alert-test` sends to every channel, prints each outcome and stores the rows', async () => {
    const result = await runCli(['alert-test'], {
      NODE_ENV: 'test',
      JWT_SECRET: TEST_JWT_SECRET,
      DATABASE_URL: db.url,
      SMTP_URL: smtp.url,
      ...FROM,
      ALERT_WEBHOOK_URL: hook.url,
      ALERT_WEBHOOK_SECRET: SECRET,
    });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim().split('\n').sort()).toEqual([
      'email    sent after 1 attempt(s)',
      'webhook  sent after 1 attempt(s)',
    ]);
    expect(result.code).toBe(0);
    expect(smtp.received.at(-1)?.subject).toBe(
      '[flux-auth] info: test — test message, no action needed',
    );
    expect(hook.received.at(-1)?.isVerified).toBe(true);
    const rows = await db.handle.db
      .selectFrom('alerts')
      .select(['channel', 'kind', 'outcome'])
      .execute();
    expect(rows.map((r) => `${r.channel} ${r.kind} ${r.outcome}`).sort()).toEqual([
      'email test sent',
      'webhook test sent',
    ]);
  });

  it('`flux-auth alert-test` exits 78 when no channel is configured', async () => {
    const result = await runCli(['alert-test'], { NODE_ENV: 'test', JWT_SECRET: TEST_JWT_SECRET });
    expect(result.code).toBe(78);
    expect(result.stderr).toMatch(/no alert channel is configured; set SMTP_URL/);
  });

  it('doctor: SMTP answers EHLO, the webhook host resolves and answers', async () => {
    const config = testConfig({
      SMTP_URL: smtp.url,
      ...FROM,
      ALERT_WEBHOOK_URL: hook.url,
      ALERT_WEBHOOK_SECRET: SECRET,
    });
    expect(await checkSmtp(config)).toMatchObject({
      ok: true,
      detail: expect.stringContaining('answers EHLO'),
    });
    expect(await checkWebhook(config)).toMatchObject({
      ok: true,
      detail: expect.stringMatching(/answers \(HTTP \d+\)/),
    });
  });

  it('doctor: a closed SMTP port, an unresolvable or silent webhook host fail with a fix', async () => {
    const closed = await freePort();
    const config = testConfig({
      SMTP_URL: `smtp://user:smtp-pass-123@127.0.0.1:${closed}`,
      ...FROM,
      ALERT_WEBHOOK_URL: 'https://flux-alerts.invalid/hook',
      ALERT_WEBHOOK_SECRET: SECRET,
    });
    const smtpCheck = await checkSmtp(config);
    expect(smtpCheck).toMatchObject({ ok: false, fix: expect.stringContaining('SMTP_URL') });
    expect(JSON.stringify(smtpCheck)).not.toContain('smtp-pass-123');
    expect(await checkWebhook(config)).toMatchObject({
      ok: false,
      detail: expect.stringContaining('does not resolve'),
    });
    const silent = testConfig({
      ALERT_WEBHOOK_URL: `http://127.0.0.1:${closed}/hook`,
      ALERT_WEBHOOK_SECRET: SECRET,
    });
    expect(await checkWebhook(silent)).toMatchObject({
      ok: false,
      detail: expect.stringContaining('does not answer'),
    });
  });
});
