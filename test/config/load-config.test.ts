import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, loadOrCreateDevSecret, parseTrustProxy } from '../../src/config/index.ts';

const SECRET = 'x'.repeat(32);
const cwd = mkdtempSync(join(tmpdir(), 'flux-config-'));
const load = (env: Record<string, string>) =>
  loadConfig(env, { cwd, loadDevSecret: loadOrCreateDevSecret });
const problemsOf = (env: Record<string, string>) => {
  const result = load(env);
  return result.ok ? [] : result.problems;
};
const production = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://u@db:5432/app',
  JWT_SECRET: SECRET,
};

describe('loadConfig', () => {
  it('just works in development with nothing set: SQLite under ./data and a kept secret', () => {
    const result = load({});
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config).toMatchObject({ host: '127.0.0.1', port: 3001, env: 'development' });
    expect(result.config.databaseUrl).toBe(`sqlite:${join(cwd, 'data', 'flux-auth.db')}`);
    expect(result.warnings.join()).toMatch(/JWT_SECRET is not set/);
    const again = load({});
    expect(again.ok && again.config.signing).toEqual(result.config.signing);
    expect(Object.isFrozen(result.config)).toBe(true);
  });

  it('keeps the development secret in a private file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flux-secret-'));
    const secret = loadOrCreateDevSecret(dir);
    expect(secret.length).toBeGreaterThanOrEqual(32);
    expect(readFileSync(join(dir, 'dev-jwt-secret'), 'utf8').trim()).toBe(secret);
    expect(statSync(join(dir, 'dev-jwt-secret')).mode & 0o777).toBe(0o600);
    expect(loadOrCreateDevSecret(dir)).toBe(secret);
  });

  it('accepts a complete production config', () => {
    expect(problemsOf(production)).toEqual([]);
  });

  it.each([
    [{ JWT_SECRET: 'short' }, /^JWT_SECRET: is 5 characters; it must be at least 32/],
    [{ DATABASE_URL: '' }, /^DATABASE_URL: not set/],
    [{ DATABASE_URL: 'mysql://x' }, /^DATABASE_URL: unsupported scheme/],
    [{ REDIS_URL: 'not a url' }, /^REDIS_URL: not a valid/],
    [{ REDIS_URL: 'http://host:6379' }, /^REDIS_URL: not a valid/],
    [{ REDIS_URL: 'redis://a:6379,redis://b:6379' }, /^REDIS_URL: .*needs REDIS_CLUSTER=true/],
    [
      { REDIS_URL: 'redis://a:6379,http://b:6379', REDIS_CLUSTER: 'true' },
      /^REDIS_URL: not a valid list of Redis Cluster nodes/,
    ],
    [{ REDIS_URL: 'a:6379,b:6379', REDIS_CLUSTER: 'true' }, /^REDIS_URL: not a valid list/],
    [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL: "loud" is not one of/],
    [{ PORT: 'eighty' }, /^PORT: "eighty" is not a whole number/],
    [{ PORT: '70000' }, /^PORT: "70000" is not a whole number/],
    [{ TRUST_PROXY: 'true' }, /^TRUST_PROXY: "true" would trust any client/],
    [{ TRUST_PROXY: '10.0.0.0/33' }, /^TRUST_PROXY: "10.0.0.0\/33" is not an IP address or CIDR/],
    [{ NODE_ENV: 'staging' }, /^NODE_ENV: "staging" is not one of/],
    [{ CORS_ORIGINS: '*' }, /^CORS_ORIGINS: "\*" is not an origin/],
    [
      { CORS_ORIGINS: 'https://a.example/app' },
      /^CORS_ORIGINS: "https:\/\/a\.example\/app" is not/,
    ],
  ])('refuses %o in production with one line naming the variable', (override, pattern) => {
    const problems = problemsOf({ ...production, ...override });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(pattern);
  });

  it('takes REDIS_URL as a list of seed nodes with REDIS_CLUSTER=true (issue 13)', () => {
    const seeds = 'rediss://u:p@10.0.0.1:7000, 10.0.0.2:7001,redis://10.0.0.3:7002';
    const result = load({ ...production, REDIS_URL: seeds, REDIS_CLUSTER: 'true' });
    expect(result.ok && result.config).toMatchObject({ redisUrl: seeds, redisCluster: true });
  });

  it('reads CORS_ORIGINS as a list of origins, empty by default', () => {
    const none = load(production);
    const some = load({
      ...production,
      CORS_ORIGINS: 'https://app.example.com, http://localhost:5173',
    });
    expect(none.ok && none.config.corsOrigins).toEqual([]);
    expect(some.ok && some.config.corsOrigins).toEqual([
      'https://app.example.com',
      'http://localhost:5173',
    ]);
  });

  it('reads REPUTATION_LISTS as readable paths; an unreadable one is a problem naming it', () => {
    writeFileSync(join(cwd, 'a.netset'), '203.0.113.0/24\n');
    writeFileSync(join(cwd, 'b.netset'), '198.51.100.1\n');
    const here = load({ ...production, REPUTATION_LISTS: 'a.netset, b.netset' });
    expect(here.ok && here.config.reputationLists).toEqual([
      join(cwd, 'a.netset'),
      join(cwd, 'b.netset'),
    ]);
    const none = load(production);
    expect(none.ok && none.config.reputationLists).toEqual([]);
    const missing = problemsOf({
      ...production,
      REPUTATION_LISTS: 'a.netset,/nope/bad.netset',
    });
    expect(missing).toEqual(['REPUTATION_LISTS: cannot read /nope/bad.netset']);
  });

  it('reports every problem at once, one line each', () => {
    const problems = problemsOf({
      NODE_ENV: 'production',
      JWT_SECRET: 'short',
      PORT: 'x',
      LOG_LEVEL: 'y',
    });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'DATABASE_URL',
      'JWT_SECRET',
      'LOG_LEVEL',
      'PORT',
    ]);
  });

  it('requires a signing key in production', () => {
    expect(problemsOf({ ...production, JWT_SECRET: '' })).toEqual([
      expect.stringMatching(/^JWT_SECRET: not set/),
    ]);
  });

  it('reads the signing key file at startup and picks the algorithm from the key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flux-keys-'));
    const write = (name: string, type: 'ed25519' | 'ec' | 'rsa') => {
      const options =
        type === 'ec'
          ? { namedCurve: 'prime256v1' }
          : type === 'rsa'
            ? { modulusLength: 2048 }
            : {};
      const { privateKey } = generateKeyPairSync(type as 'ed25519', options as object);
      writeFileSync(join(dir, name), privateKey.export({ type: 'pkcs8', format: 'pem' }));
      return join(dir, name);
    };
    const noSecret = { ...production, JWT_SECRET: '' };
    const ed = load({ ...noSecret, JWT_PRIVATE_KEY_FILE: write('ed.pem', 'ed25519') });
    expect(ed.ok && ed.config.signing).toMatchObject({ kind: 'asymmetric', alg: 'EdDSA' });
    const ec = load({ ...noSecret, JWT_PRIVATE_KEY_FILE: write('ec.pem', 'ec') });
    expect(ec.ok && ec.config.signing).toMatchObject({ kind: 'asymmetric', alg: 'ES256' });
    expect(problemsOf({ ...noSecret, JWT_PRIVATE_KEY_FILE: write('rsa.pem', 'rsa') })).toEqual([
      expect.stringMatching(/^JWT_PRIVATE_KEY_FILE: .*holds a rsa key; use Ed25519/),
    ]);
    expect(problemsOf({ ...noSecret, JWT_PRIVATE_KEY_FILE: join(dir, 'missing.pem') })).toEqual([
      expect.stringMatching(/^JWT_PRIVATE_KEY_FILE: cannot read .*missing\.pem \(ENOENT\)/),
    ]);
    writeFileSync(join(dir, 'junk.pem'), 'not a key');
    expect(problemsOf({ ...noSecret, JWT_PRIVATE_KEY_FILE: join(dir, 'junk.pem') })).toEqual([
      expect.stringMatching(/^JWT_PRIVATE_KEY_FILE: .*is not a PEM private key/),
    ]);
  });

  it('reads PASSWORD_MIN_SCORE: default 3, any whole number 0–4, else one line naming it', () => {
    const fallback = load({ JWT_SECRET: SECRET });
    expect(fallback.ok && fallback.config.passwordMinScore).toBe(3);
    for (const score of [0, 1, 2, 3, 4]) {
      const result = load({ JWT_SECRET: SECRET, PASSWORD_MIN_SCORE: ` ${score} ` });
      expect(result.ok && result.config.passwordMinScore).toBe(score);
    }
    for (const bad of ['5', '-1', '2.5', 'strong', '0x3']) {
      expect(problemsOf({ JWT_SECRET: SECRET, PASSWORD_MIN_SCORE: bad })).toEqual([
        `PASSWORD_MIN_SCORE: "${bad}" is not a whole number between 0 and 4.`,
      ]);
    }
  });

  it('counts the secret in characters, not bytes', () => {
    expect(problemsOf({ ...production, JWT_SECRET: 'é'.repeat(31) })).toHaveLength(1);
    expect(problemsOf({ ...production, JWT_SECRET: 'é'.repeat(32) })).toEqual([]);
  });
});

describe('metrics listener config', () => {
  const metricsOf = (env: Record<string, string>) => {
    const result = load({ JWT_SECRET: SECRET, ...env });
    return result.ok ? result.config.metrics : result.problems;
  };

  it('defaults to 127.0.0.1:9464, never a public address', () => {
    expect(metricsOf({})).toEqual({ host: '127.0.0.1', port: 9464, basePort: 9464, instance: 0 });
  });

  it('METRICS_PORT=off disables it; METRICS_HOST moves it', () => {
    expect(metricsOf({ METRICS_PORT: 'off' })).toBeNull();
    expect(metricsOf({ METRICS_PORT: 'OFF' })).toBeNull();
    expect(metricsOf({ METRICS_HOST: '0.0.0.0', METRICS_PORT: '9100' })).toMatchObject({
      host: '0.0.0.0',
      port: 9100,
    });
  });

  it('adds NODE_APP_INSTANCE (PM2 cluster mode) so instances never share a port', () => {
    expect(metricsOf({ METRICS_PORT: '9100', NODE_APP_INSTANCE: '3' })).toEqual({
      host: '127.0.0.1',
      port: 9103,
      basePort: 9100,
      instance: 3,
    });
    // Port 0 asks the system for a free port: no offset.
    expect(metricsOf({ METRICS_PORT: '0', NODE_APP_INSTANCE: '3' })).toMatchObject({ port: 0 });
  });

  it('names METRICS_PORT or NODE_APP_INSTANCE for a bad value', () => {
    expect(problemsOf({ JWT_SECRET: SECRET, METRICS_PORT: 'on' })).toEqual([
      'METRICS_PORT: "on" is not a port (0–65535) or off.',
    ]);
    expect(problemsOf({ JWT_SECRET: SECRET, METRICS_PORT: '70000' })).toEqual([
      'METRICS_PORT: "70000" is not a whole number between 0 and 65535.',
    ]);
    expect(problemsOf({ JWT_SECRET: SECRET, NODE_APP_INSTANCE: 'a' })).toEqual([
      'NODE_APP_INSTANCE: "a" is not a whole number between 0 and 65535.',
    ]);
    expect(
      problemsOf({ JWT_SECRET: SECRET, METRICS_PORT: '65535', NODE_APP_INSTANCE: '1' }),
    ).toEqual([
      'METRICS_PORT: 65535 + NODE_APP_INSTANCE 1 is past 65535; choose a lower METRICS_PORT.',
    ]);
  });
});

describe('parseTrustProxy', () => {
  it('reads nothing, a hop count or a CIDR list', () => {
    expect(parseTrustProxy(undefined)).toEqual({ ok: true, value: false });
    expect(parseTrustProxy('false')).toEqual({ ok: true, value: false });
    expect(parseTrustProxy('2')).toEqual({ ok: true, value: 2 });
    expect(parseTrustProxy('10.0.0.0/8, 192.168.1.10,::1,loopback')).toEqual({
      ok: true,
      value: ['10.0.0.0/8', '192.168.1.10', '::1', 'loopback'],
    });
  });
});
