import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { type FakeSentry, startFakeSentry } from '../helpers/fake-sentry.ts';
import { type Json, readJson } from '../helpers/json.ts';
import {
  runServiceCommand,
  type ServiceProcess,
  startServiceProcess,
} from '../helpers/service-process.ts';
import { TEST_JWT_SECRET } from '../helpers/test-service.ts';

// Sentry's SDK is process-global: every scenario runs the real start command in a child process
// (`node --import ./bin/instrument.js bin/flux-auth.js start`) against a fake ingestion endpoint.

const email = 'alice.wonderland@example.com';
const password = 'Known-Passw0rd-for-the-sentry-test-4711';

describe('a forced 500 during a login full of secrets', () => {
  let db: TestDatabase;
  let fake: FakeSentry;
  let service: ServiceProcess;
  let exitCode: number | null;
  let session: Json;
  let requestId: string;
  let answer: string;
  let status: number;

  beforeAll(async () => {
    db = await openPostgresTestDatabase();
    fake = await startFakeSentry();
    service = await startServiceProcess({
      DATABASE_URL: db.url,
      JWT_SECRET: TEST_JWT_SECRET,
      SENTRY_DSN: fake.dsn,
    });
    const signup = await fetch(`${service.url}/api/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password, name: 'Alice' }),
    });
    expect(signup.status).toBe(201);
    session = await readJson(signup);
    // A real database failure: storing the new session raises an error whose message carries
    // the e-mail, the password and both tokens.
    const refresh = String(session.refreshToken);
    const access = String(session.accessToken);
    await sql
      .raw(`
        create function refuse_session() returns trigger language plpgsql as $$
        begin
          raise exception 'session store refused for % password=% token=% access=%',
            '${email}', '${password}', '${refresh}', '${access}';
        end $$;
        create trigger refuse_session before insert on refresh_tokens
          for each row execute function refuse_session();
      `)
      .execute(db.handle.db);
    const response = await fetch(
      `${service.url}/api/auth/login?email=${encodeURIComponent(email)}&token=${refresh}`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${access}`,
          cookie: `refresh_token=${refresh}; remember=${password}`,
          'x-account-email': email,
        },
        body: JSON.stringify({ email, password }),
      },
    );
    status = response.status;
    requestId = response.headers.get('x-request-id') ?? '';
    answer = await response.text();
    await fake.waitFor(() => fake.items('event').some((e) => e.exception !== undefined));
    await fake.waitFor(() =>
      fake.items('transaction').some((t) => t.transaction === 'POST /api/auth/login'),
    );
    exitCode = await service.stop();
  }, 180_000);

  afterAll(async () => {
    await service?.stop();
    await fake?.close();
    await db?.cleanup();
  });

  it('answers the client with the generic 500 only', () => {
    expect(status).toBe(500);
    expect(JSON.parse(answer)).toEqual({ error: 'Internal server error', code: 'INTERNAL_ERROR' });
    expect(exitCode).toBe(0);
  });

  it('logs "Sentry initialized" with environment and release at startup', () => {
    const line = service.logs.find((l) => l.msg === 'Sentry initialized');
    expect(line).toMatchObject({ environment: 'development', release: 'flux-auth@0.1.0' });
  });

  it('sends the exception with its stack, the request id, the route and the user id', () => {
    const events = fake.items('event').filter((e) => e.exception !== undefined);
    expect(events).toHaveLength(1);
    const event = events[0] as Json;
    const exception = event.exception.values.at(-1);
    expect(exception.value).toContain('session store refused for a***@example.com');
    expect(exception.value).toContain('password=[redacted]');
    expect(exception.stacktrace.frames.length).toBeGreaterThan(0);
    expect(event.tags).toMatchObject({ request_id: requestId, route: '/api/auth/login' });
    expect(event.user).toEqual({ id: session.user.id });
    expect(event.request?.url ?? '').not.toContain('?');
  });

  it('lets none of the secrets out: not in any envelope byte, decompressed', () => {
    const raw = fake.rawBytes().toString('utf8');
    expect(raw.length).toBeGreaterThan(1000);
    const secrets = [
      password,
      String(session.refreshToken),
      String(session.accessToken),
      email,
      encodeURIComponent(email),
      'alice.wonderland',
      TEST_JWT_SECRET,
    ];
    for (const secret of secrets) expect(raw, secret.slice(0, 12)).not.toContain(secret);
  });
});

describe('Sentry configuration at startup', () => {
  it('an invalid DSN is a configuration error naming SENTRY_DSN: exit 78, the key not echoed', async () => {
    const result = await runServiceCommand(['start'], {
      SENTRY_DSN: 'https://not-a-project-key@sentry.example.com/not-a-number',
    });
    expect(result.code).toBe(78);
    expect(result.stderr).toContain('configuration error: SENTRY_DSN');
    expect(result.stderr).not.toContain('not-a-project-key');
  }, 60_000);

  it('without a DSN, Sentry is a no-op announced by one info line', async () => {
    const service = await startServiceProcess({});
    try {
      const response = await fetch(`${service.url}/api/auth/me`);
      expect(response.status).toBe(401);
    } finally {
      expect(await service.stop()).toBe(0);
    }
    const lines = service.logs.filter((l) => String(l.msg).startsWith('Sentry'));
    expect(lines.map((l) => l.msg)).toEqual([
      'Sentry disabled: SENTRY_DSN is not set, errors are only logged',
    ]);
    expect(lines[0]?.level).toBe(30);
  }, 120_000);
});

describe('a database outage during a login flood', () => {
  it('sends a handful of grouped events, not one per request; the rest are counted', async () => {
    const db = await openPostgresTestDatabase();
    const fake = await startFakeSentry();
    const service = await startServiceProcess({
      DATABASE_URL: db.url,
      JWT_SECRET: TEST_JWT_SECRET,
      SENTRY_DSN: fake.dsn,
      // The flood is about errors; traces would only add envelopes to wait for.
      SENTRY_TRACES_SAMPLE_RATE: '0',
    });
    try {
      // The accounts table disappears: every login fails in the database (42P01).
      await sql.raw('alter table users rename to users_gone').execute(db.handle.db);
      const statuses: number[] = [];
      for (let i = 0; i < 30; i += 1) {
        const response = await fetch(`${service.url}/api/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: `user${i}@example.com`, password: 'whatever-1234' }),
        });
        await response.arrayBuffer();
        statuses.push(response.status);
      }
      expect(statuses).toEqual(Array(30).fill(500));
      await fake.waitFor(() => fake.items('event').length >= 1);
      expect(await service.stop()).toBe(0);
      const events = fake.items('event') as Json[];
      // Three per group and minute; a very slow machine may span a second minute.
      expect(events.length).toBeGreaterThanOrEqual(1);
      expect(events.length).toBeLessThanOrEqual(6);
      const fingerprints = new Set(events.map((e) => JSON.stringify(e.fingerprint)));
      expect([...fingerprints]).toHaveLength(1);
      expect(events[0].fingerprint).toContain('42P01');
      const flushed = service.logs.find((l) => l.msg === 'Sentry flushed') as Json;
      expect(flushed.sentry.suppressed + events.length).toBe(30);
    } finally {
      await service.stop();
      await fake.close();
      await db.cleanup();
    }
  }, 180_000);
});
