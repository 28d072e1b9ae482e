import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forEachDialect, type TestDatabase } from '../helpers/databases.ts';
import { readJson } from '../helpers/json.ts';
import { createTestService, generousPolicy, type TestService } from '../helpers/test-service.ts';

/** What attackers spray first (issue 7): every one must be refused at signup. */
const SPRAYED = [
  'password123',
  'Password123',
  'admin123',
  'welcome123',
  'P@ssw0rd',
  'Summer2024!',
  'qwerty123!',
  'letmein123',
];

forEachDialect((_dialect, open) => {
  let db: TestDatabase;
  let service: TestService;
  let lenient: TestService;
  beforeAll(async () => {
    db = await open();
    // Many signups from one test IP: keep the bot rule watching only.
    service = await createTestService(db.handle, { policy: generousPolicy() });
    lenient = await createTestService(db.handle, {
      policy: generousPolicy(),
      env: { PASSWORD_MIN_SCORE: '2' },
    });
  });
  afterAll(async () => {
    await lenient?.close();
    await service?.close();
    await db?.cleanup();
  });

  const signup = (app: TestService, body: { email: string; password: string; name: string }) =>
    app.app.inject({ method: 'POST', url: '/api/auth/signup', payload: body });

  describe('signup refuses easily guessed passwords', () => {
    it.each(SPRAYED)('%j: 400 WEAK_PASSWORD with the reason, and no account', async (password) => {
      const email = `spray-${SPRAYED.indexOf(password)}@example.com`;
      const answer = await signup(service, { email, password, name: 'Spray Target' });
      expect(answer.statusCode).toBe(400);
      const body = answer.json<{ error: string; code: string }>();
      expect(body.code).toBe('WEAK_PASSWORD');
      expect(body.error).toMatch(/^This password is too easy to guess\. /);
      expect(body.error).toMatch(/commonly used password|Add more words/);
      expect(body.error).not.toContain(password);
      const login = await service.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { email, password },
      });
      expect(login.statusCode).toBe(401);
    });

    it("refuses the user's own email local part and name as the password's core", async () => {
      const answer = await signup(service, {
        email: 'zorblatt@example.com',
        password: 'zorblatt2024!',
        name: 'Quenby Vrolijkheid',
      });
      expect(answer.statusCode).toBe(400);
      expect(answer.json()).toMatchObject({ code: 'WEAK_PASSWORD', error: /personal/ });
      const alice = await signup(service, {
        email: 'alice@example.com',
        password: 'alice2024!',
        name: 'Alice',
      });
      expect(alice.json()).toMatchObject({ code: 'WEAK_PASSWORD' });
      // The same password is fine for someone whose email and name it does not contain.
      const other = await signup(service, {
        email: 'bob.other@example.com',
        password: 'zorblatt2024!',
        name: 'Bob',
      });
      expect(other.statusCode).toBe(201);
    });

    it('accepts passphrases and long random passwords, hashed whole', async () => {
      const long = `correct horse battery staple ${'kq9!mZ2@vR4$wL8pT'.repeat(5)}`;
      expect([...long].length).toBeLessThanOrEqual(128);
      for (const [i, password] of [
        'correct horse battery staple',
        'x7#Kq9!mZ2@vR4$wL8pT',
        long,
      ].entries()) {
        const email = `strong-${i}@example.com`;
        const answer = await signup(service, { email, password, name: 'Strong' });
        expect(answer.statusCode, password).toBe(201);
        const login = await service.app.inject({
          method: 'POST',
          url: '/api/auth/login',
          payload: { email, password },
        });
        expect(login.statusCode).toBe(200);
      }
      // Only the start is scored; the hash still takes every character.
      const cut = await service.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { email: 'strong-2@example.com', password: long.slice(0, -1) },
      });
      expect(cut.statusCode).toBe(401);
    });

    it('takes the minimum score from PASSWORD_MIN_SCORE', async () => {
      // "Summer2024!" scores 2: refused at the default 3, accepted with PASSWORD_MIN_SCORE=2.
      const strict = await signup(service, {
        email: 'summer-strict@example.com',
        password: 'Summer2024!',
        name: 'S',
      });
      expect(strict.statusCode).toBe(400);
      const relaxed = await signup(lenient, {
        email: 'summer-lenient@example.com',
        password: 'Summer2024!',
        name: 'S',
      });
      expect(relaxed.statusCode).toBe(201);
      expect(lenient.config.passwordMinScore).toBe(2);
    });
  });

  it('documents the rule on the password field of the OpenAPI document', async () => {
    const doc = await readJson(
      await fetch(await service.listen().then((url) => `${url}/openapi.json`)),
    );
    const schema =
      doc.paths['/api/auth/signup'].post.requestBody.content['application/json'].schema;
    expect(schema.properties.password.description).toMatch(/WEAK_PASSWORD/);
  });
});
