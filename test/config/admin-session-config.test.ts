import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { runCli } from '../helpers/cli.ts';

const SECRET = 'x'.repeat(32);
const load = (env: Record<string, string>) =>
  loadConfig({ JWT_SECRET: SECRET, ...env }, { cwd: process.cwd(), loadDevSecret: () => SECRET });

describe('ADMIN_SESSION_IDLE_MINUTES', () => {
  it('defaults to 30 and takes any whole number of minutes from 1 to 1440', () => {
    const fallback = load({});
    expect(fallback.ok && fallback.config.adminSessionIdleMinutes).toBe(30);
    for (const minutes of [1, 15, 1440]) {
      const result = load({ ADMIN_SESSION_IDLE_MINUTES: String(minutes) });
      expect(result.ok && result.config.adminSessionIdleMinutes).toBe(minutes);
    }
  });

  it('refuses anything else with one line naming it', () => {
    for (const bad of ['0', '1441', '2.5', 'half an hour']) {
      const result = load({ ADMIN_SESSION_IDLE_MINUTES: bad });
      expect(result.ok ? [] : result.problems).toEqual([
        `ADMIN_SESSION_IDLE_MINUTES: "${bad}" is not a whole number between 1 and 1440.`,
      ]);
    }
  });
});

describe('flux-auth start with a bad ADMIN_SESSION_IDLE_MINUTES', () => {
  it('stops with one line naming it and exit 78', async () => {
    const result = await runCli(['start'], {
      ADMIN_SESSION_IDLE_MINUTES: '0',
      JWT_SECRET: SECRET,
    });
    expect(result.code).toBe(78);
    expect(result.stderr.trim().split('\n')).toEqual([
      'flux-auth: configuration error: ADMIN_SESSION_IDLE_MINUTES: "0" is not a whole number between 1 and 1440.',
    ]);
  });
});
