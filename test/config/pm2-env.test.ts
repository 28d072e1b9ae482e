import { describe, expect, it } from 'vitest';
import { withPm2Env } from '../../src/config/index.ts';

describe('withPm2Env', () => {
  it("adds a PM2 cluster worker's app variables (its pm2_env JSON) to the environment", () => {
    const pm2Env = JSON.stringify({
      SENTRY_DSN: 'https://abc@o1.ingest.sentry.io/1',
      NODE_ENV: 'production',
      instances: 2,
      env: { NODE_ENV: 'production' },
    });
    expect(withPm2Env({ PATH: '/bin', NODE_ENV: 'development', pm2_env: pm2Env })).toMatchObject({
      PATH: '/bin',
      NODE_ENV: 'production',
      SENTRY_DSN: 'https://abc@o1.ingest.sentry.io/1',
    });
  });

  it('leaves any other environment as it is, also when pm2_env is not JSON', () => {
    const env = { PATH: '/bin' };
    expect(withPm2Env(env)).toBe(env);
    expect(withPm2Env({ pm2_env: '{not json' })).toEqual({ pm2_env: '{not json' });
  });
});
