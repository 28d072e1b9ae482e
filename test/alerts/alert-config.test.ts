import { expect, it } from 'vitest';
import { readAlertConfig } from '../../src/alerts/alert-config.ts';
import { runCli } from '../helpers/cli.ts';
import { TEST_JWT_SECRET } from '../helpers/test-service.ts';

const EMAIL = {
  SMTP_URL: 'smtp://alerts:pw-123@mail.example.com:587',
  ALERT_EMAIL_FROM: 'flux-auth@example.com',
  ALERT_EMAIL_TO: 'ops@example.com, sec@example.com',
};
const HOOK = {
  ALERT_WEBHOOK_URL: 'https://hooks.example.com/x',
  ALERT_WEBHOOK_SECRET: 'a'.repeat(32),
};

function problemsOf(env: Record<string, string>): string[] {
  const result = readAlertConfig(env);
  return result.ok ? [] : [...result.problems];
}

it('reads both channels, the severities per channel and the window', () => {
  const result = readAlertConfig({
    ...EMAIL,
    ...HOOK,
    ALERT_MIN_SEVERITY: 'medium',
    ALERT_WEBHOOK_MIN_SEVERITY: 'critical',
    ALERT_WINDOW_SECONDS: '60',
    PUBLIC_URL: 'https://auth.example.com/',
  });
  expect(result).toEqual({
    ok: true,
    alerts: {
      email: {
        smtpUrl: EMAIL.SMTP_URL,
        from: 'flux-auth@example.com',
        to: ['ops@example.com', 'sec@example.com'],
        minSeverity: 'medium',
      },
      webhook: {
        url: HOOK.ALERT_WEBHOOK_URL,
        secret: HOOK.ALERT_WEBHOOK_SECRET,
        minSeverity: 'critical',
      },
      minSeverity: 'medium',
      windowSeconds: 60,
      publicUrl: 'https://auth.example.com',
    },
  });
  expect(readAlertConfig({})).toMatchObject({
    ok: true,
    alerts: {
      email: null,
      webhook: null,
      minSeverity: 'high',
      windowSeconds: 900,
      publicUrl: null,
    },
  });
});

it('names the variable of each problem, and never echoes the SMTP password', () => {
  const bad = problemsOf({ ...EMAIL, SMTP_URL: 'http://u:secret-pw@mail.example.com' });
  expect(bad).toHaveLength(1);
  expect(bad[0]).toMatch(/^SMTP_URL: /);
  expect(bad.join()).not.toContain('secret-pw');
  expect(problemsOf({ ...HOOK, ALERT_WEBHOOK_URL: 'ftp://hooks.example.com/x' })[0]).toMatch(
    /^ALERT_WEBHOOK_URL: not an http/,
  );
  expect(problemsOf({ ALERT_WEBHOOK_URL: 'https://hooks.example.com/x' })[0]).toMatch(
    /^ALERT_WEBHOOK_SECRET: not set/,
  );
  expect(problemsOf({ SMTP_URL: EMAIL.SMTP_URL })).toEqual([
    expect.stringMatching(/^ALERT_EMAIL_FROM: /),
    expect.stringMatching(/^ALERT_EMAIL_TO: /),
  ]);
  expect(problemsOf({ ...EMAIL, ALERT_EMAIL_TO: 'ops@example.com,nobody' })[0]).toMatch(
    /^ALERT_EMAIL_TO: .*"nobody"/,
  );
  expect(problemsOf({ ALERT_MIN_SEVERITY: 'urgent' })[0]).toMatch(/^ALERT_MIN_SEVERITY: /);
  expect(problemsOf({ ALERT_WINDOW_SECONDS: '0' })[0]).toMatch(/^ALERT_WINDOW_SECONDS: /);
});

it('`flux-auth start` refuses a bad alert configuration with exit 78, one line per variable', async () => {
  const result = await runCli(['start'], {
    NODE_ENV: 'test',
    JWT_SECRET: TEST_JWT_SECRET,
    PORT: '0',
    SMTP_URL: 'mail.example.com',
    ALERT_EMAIL_FROM: 'flux@example.com',
    ALERT_EMAIL_TO: 'ops@example.com',
    ALERT_WEBHOOK_URL: 'file:///etc/passwd',
  });
  expect(result.code).toBe(78);
  const lines = result.stderr.trim().split('\n');
  expect(lines).toEqual([
    expect.stringMatching(/^flux-auth: configuration error: SMTP_URL: /),
    expect.stringMatching(/^flux-auth: configuration error: ALERT_WEBHOOK_URL: /),
    expect.stringMatching(/^flux-auth: configuration error: ALERT_WEBHOOK_SECRET: /),
  ]);
});
