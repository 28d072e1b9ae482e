import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/index.ts';
import { createMigrator } from '../../src/db/index.ts';
import { InvalidRefreshTokenError } from '../../src/errors.ts';
import { type SecurityEvent, SecurityEventBus } from '../../src/events/index.ts';
import {
  DEFAULT_REFRESH_TTL_MS,
  hashRefreshToken,
  loadRefreshTokenSeal,
  RefreshTokenSeal,
  RefreshTokens,
  type RequestContext,
} from '../../src/tokens/index.ts';
import { forEachDialect, type TestDatabase } from '../helpers/databases.ts';

const CONTEXT: RequestContext = { ip: '203.0.113.7', userAgent: 'test-agent', requestId: 'req-1' };
const T0 = Date.UTC(2025, 0, 1);

async function insertUser(handle: DatabaseHandle, id: string): Promise<void> {
  await handle.db
    .insertInto('users')
    .values({
      id,
      email: `${id}@example.com`,
      name: id,
      password_hash: 'x',
      role: 'user',
      created_at: T0,
      updated_at: T0,
    })
    .execute();
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Another last character of a 22-character base64url text that decodes to the same 16 bytes. */
const sameBytesOtherSpelling = (last: string) => BASE64URL[BASE64URL.indexOf(last) ^ 1] as string;

/** Lets listeners scheduled with queueMicrotask run. */
const flushEvents = () => new Promise((resolve) => setImmediate(resolve));

forEachDialect((_dialect, open) => {
  let database: TestDatabase;
  let now: number;
  let events: SecurityEvent[];
  let refresh: RefreshTokens;
  let bus: SecurityEventBus;
  let seal: RefreshTokenSeal;

  beforeAll(async () => {
    database = await open();
    await insertUser(database.handle, 'u1');
  });
  afterAll(() => database?.cleanup());
  beforeEach(async () => {
    now = T0;
    events = [];
    bus = new SecurityEventBus();
    bus.subscribe((event) => {
      events.push(event);
    });
    seal = await loadRefreshTokenSeal(database.handle.db, DEFAULT_REFRESH_TTL_MS);
    refresh = new RefreshTokens({ db: database.handle.db, events: bus, seal, clock: () => now });
  });

  /** Stores a row for `token` directly, as a token issued some other way would be. */
  const storeRow = (token: string, id: string, familyId = id) =>
    database.handle.db
      .insertInto('refresh_tokens')
      .values({
        id,
        user_id: 'u1',
        family_id: familyId,
        token_hash: hashRefreshToken(token),
        created_at: now,
        expires_at: now + DEFAULT_REFRESH_TTL_MS,
        rotated_at: null,
        revoked_at: null,
        replaced_by: null,
      })
      .execute();

  const rowOf = (token: string) =>
    database.handle.db
      .selectFrom('refresh_tokens')
      .selectAll()
      .where('token_hash', '=', hashRefreshToken(token))
      .executeTakeFirst();

  it('issues 256-bit base64url tokens with a 128-bit tag, stored only as their SHA-256 hex', async () => {
    const issued = await refresh.issue('u1');
    expect(issued.token).toMatch(/^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{22}$/);
    expect(issued.expiresAt).toBe(T0 + DEFAULT_REFRESH_TTL_MS);
    const rows = await database.handle.db.selectFrom('refresh_tokens').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(issued.token);
    const row = await rowOf(issued.token);
    expect(row?.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row).toMatchObject({
      user_id: 'u1',
      family_id: issued.familyId,
      expires_at: issued.expiresAt,
    });
  });

  it('rotates into the same family and refuses the old token afterwards', async () => {
    const first = await refresh.issue('u1');
    now += 1000;
    const second = await refresh.rotate(first.token, CONTEXT);
    expect(second).toMatchObject({ userId: 'u1', familyId: first.familyId });
    expect(second.token).not.toBe(first.token);
    const old = await rowOf(first.token);
    const next = await rowOf(second.token);
    expect(old).toMatchObject({ rotated_at: now, replaced_by: next?.id, revoked_at: null });
    const third = await refresh.rotate(second.token, CONTEXT);
    expect(third.familyId).toBe(first.familyId);
  });

  it('on reuse of a rotated token revokes the whole family and publishes a high event without the token', async () => {
    const first = await refresh.issue('u1');
    const second = await refresh.rotate(first.token, CONTEXT);
    const third = await refresh.rotate(second.token, CONTEXT);
    const otherFamily = await refresh.issue('u1');
    now += 5000;

    await expect(refresh.rotate(first.token, CONTEXT)).rejects.toBeInstanceOf(
      InvalidRefreshTokenError,
    );
    // The live descendant is dead too, and the attacker's copy cannot be used either.
    await expect(refresh.rotate(third.token, CONTEXT)).rejects.toBeInstanceOf(
      InvalidRefreshTokenError,
    );
    const family = await database.handle.db
      .selectFrom('refresh_tokens')
      .selectAll()
      .where('family_id', '=', first.familyId)
      .execute();
    expect(family).toHaveLength(3);
    for (const row of family) expect(row.revoked_at).toBe(now);
    // Other sessions of the same user are untouched.
    await expect(refresh.rotate(otherFamily.token, CONTEXT)).resolves.toBeDefined();

    await flushEvents();
    const reuse = events.filter((e) => e.type === 'refresh_token_reuse');
    // The third token was presented after the family was already revoked: no second alert.
    expect(reuse).toHaveLength(1);
    expect(reuse[0]).toMatchObject({
      type: 'refresh_token_reuse',
      severity: 'high',
      at: now,
      userId: 'u1',
      ip: CONTEXT.ip,
      userAgent: CONTEXT.userAgent,
      requestId: CONTEXT.requestId,
      details: { familyId: first.familyId },
    });
    // Replaying the stolen token again and again revokes nothing new and alerts no more.
    for (let i = 0; i < 3; i++) {
      await expect(refresh.rotate(first.token, CONTEXT)).rejects.toBeInstanceOf(
        InvalidRefreshTokenError,
      );
    }
    await flushEvents();
    expect(events.filter((e) => e.type === 'refresh_token_reuse')).toHaveLength(1);
    const serialized = JSON.stringify(events);
    for (const token of [first.token, second.token, third.token]) {
      expect(serialized).not.toContain(token);
      expect(serialized).not.toContain(hashRefreshToken(token));
    }
  });

  it('lets exactly one of two parallel rotations of one token win', async () => {
    for (let round = 0; round < 5; round++) {
      const issued = await refresh.issue('u1');
      const results = await Promise.allSettled([
        refresh.rotate(issued.token, CONTEXT),
        refresh.rotate(issued.token, CONTEXT),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r) => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect(lost[0]?.status === 'rejected' && lost[0].reason).toBeInstanceOf(
        InvalidRefreshTokenError,
      );
      const successors = await database.handle.db
        .selectFrom('refresh_tokens')
        .select('id')
        .where('family_id', '=', issued.familyId)
        .execute();
      expect(successors).toHaveLength(2);
    }
  });

  it('refuses a token whose tag does not match, even when a row with its hash is stored', async () => {
    const issued = await refresh.issue('u1');
    const [random, tag] = issued.token.split('.') as [string, string];
    const otherRandom = `${random.slice(0, -1)}${random.endsWith('A') ? 'B' : 'A'}`;
    const forgeries = [
      `${otherRandom}.${tag}`, // someone else's tag
      `${random}.${tag.startsWith('A') ? 'B' : 'A'}${tag.slice(1)}`, // a tag one character off
      `${random}.${tag}x`, // a tag of the wrong length
      `${random}.${tag.slice(0, -1)}${sameBytesOtherSpelling(tag.at(-1) as string)}`,
    ];
    for (const [i, forged] of forgeries.entries()) {
      // Had the lookup happened, this row would have let the forged token through.
      await storeRow(forged, `forged-${i}`);
      await expect(refresh.rotate(forged, CONTEXT)).rejects.toBeInstanceOf(
        InvalidRefreshTokenError,
      );
      await refresh.revoke(forged);
      expect((await rowOf(forged))?.revoked_at).toBeNull();
    }
    await expect(refresh.rotate(issued.token, CONTEXT)).resolves.toBeDefined();
  });

  it('accepts an untagged token from before the tag until the last of them expires', async () => {
    const key = Buffer.alloc(32, 7);
    const legacyUntil = T0 + 60_000;
    const withLegacy = new RefreshTokens({
      db: database.handle.db,
      events: bus,
      seal: new RefreshTokenSeal(key, legacyUntil),
      clock: () => now,
    });
    const old = 'L'.repeat(43);
    await storeRow(old, 'legacy-1');
    const next = await withLegacy.rotate(old, CONTEXT);
    // Its successor carries a tag like any new token.
    expect(next.token).toMatch(/\.[A-Za-z0-9_-]{22}$/);
    expect(new RefreshTokenSeal(key, null).check(next.token, now)).toBe('sealed');
    // Replaying the rotated untagged token is still reuse: the family, tagged successor included,
    // is revoked.
    await expect(withLegacy.rotate(old, CONTEXT)).rejects.toBeInstanceOf(InvalidRefreshTokenError);
    await expect(withLegacy.rotate(next.token, CONTEXT)).rejects.toBeInstanceOf(
      InvalidRefreshTokenError,
    );
    await flushEvents();
    expect(events.filter((e) => e.type === 'refresh_token_reuse')).toHaveLength(1);

    const late = 'M'.repeat(43);
    await storeRow(late, 'legacy-2');
    now = legacyUntil;
    await expect(withLegacy.rotate(late, CONTEXT)).rejects.toBeInstanceOf(InvalidRefreshTokenError);
    // A database created after the tag existed never accepts an untagged token.
    now = T0;
    await expect(refresh.rotate(late, CONTEXT)).rejects.toBeInstanceOf(InvalidRefreshTokenError);
    expect((await rowOf(late))?.rotated_at).toBeNull();
  });

  it('migration 0008 on a database without users accepts no untagged token', async () => {
    // This database was migrated before its user was inserted.
    const rows = await database.handle.db.selectFrom('service_keys').selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ name: 'refresh_token_mac', legacy_until: null });
    expect(rows[0]?.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(seal.check('L'.repeat(43), Date.now())).toBe('forged');
  });

  it('migration 0008 on a database in use keeps untagged tokens until the last live one expires, and a lifetime for a rolling deploy', async () => {
    const own = await open();
    try {
      const db = own.handle.db;
      await insertUser(own.handle, 'u2');
      await createMigrator(db).migrateDown();
      const day = 24 * 60 * 60 * 1000;
      const lastLive = Date.now() + 40 * day;
      const row = (id: string, expiresAt: number, revokedAt: number | null) => ({
        id,
        user_id: 'u2',
        family_id: id,
        token_hash: hashRefreshToken(id),
        created_at: T0,
        expires_at: expiresAt,
        rotated_at: null,
        revoked_at: revokedAt,
        replaced_by: null,
      });
      await db
        .insertInto('refresh_tokens')
        .values([row('live', lastLive, null), row('revoked', lastLive + 9 * day, T0)])
        .execute();
      expect((await createMigrator(db).migrateToLatest()).error).toBeUndefined();
      const key = await db.selectFrom('service_keys').selectAll().executeTakeFirstOrThrow();
      // The revoked token's later expiry does not count: replaying it is refused either way.
      expect(Number(key.legacy_until)).toBe(lastLive);

      const untagged = 'N'.repeat(43);
      const ttl = 10 * day;
      const loaded = await loadRefreshTokenSeal(db, ttl);
      expect(loaded.check(untagged, lastLive - 1)).toBe('legacy');
      expect(loaded.check(untagged, lastLive)).toBe('forged');
      // A lifetime longer than what is stored: tokens old instances issue after the migration
      // are accepted until one lifetime and a day after the migration, wherever the service starts.
      const long = await loadRefreshTokenSeal(db, 60 * day);
      const end = Number(key.created_at) + 60 * day + day;
      expect(long.check(untagged, end - 1)).toBe('legacy');
      expect(long.check(untagged, end)).toBe('forged');
    } finally {
      await own.cleanup();
    }
  });

  it('refuses unknown, expired and revoked tokens', async () => {
    await expect(refresh.rotate('not-a-token', CONTEXT)).rejects.toBeInstanceOf(
      InvalidRefreshTokenError,
    );
    const expiring = await refresh.issue('u1');
    now = expiring.expiresAt;
    await expect(refresh.rotate(expiring.token, CONTEXT)).rejects.toBeInstanceOf(
      InvalidRefreshTokenError,
    );
    now = T0;
    const revoked = await refresh.issue('u1');
    await refresh.revoke(revoked.token);
    await expect(refresh.rotate(revoked.token, CONTEXT)).rejects.toBeInstanceOf(
      InvalidRefreshTokenError,
    );
    await flushEvents();
    expect(events).toEqual([]);
  });

  it('revokes the whole session on logout, idempotently, and ignores unknown tokens', async () => {
    const first = await refresh.issue('u1');
    const second = await refresh.rotate(first.token, CONTEXT);
    await refresh.revoke(second.token);
    await refresh.revoke(second.token);
    await refresh.revoke('unknown-token');
    await expect(refresh.rotate(second.token, CONTEXT)).rejects.toBeInstanceOf(
      InvalidRefreshTokenError,
    );
    expect((await rowOf(second.token))?.revoked_at).toBe(now);
  });

  it('keeps a revoked token until it expires, so its replay is still caught, as the README says', async () => {
    await database.handle.db.deleteFrom('refresh_tokens').execute();
    const first = await refresh.issue('u1');
    const second = await refresh.rotate(first.token, CONTEXT);
    await refresh.revoke(second.token);
    now = T0 + DEFAULT_REFRESH_TTL_MS - 1;
    expect(await refresh.deleteExpired(now)).toBe(0);
    expect(await rowOf(first.token)).toBeDefined();
    expect(await rowOf(second.token)).toBeDefined();
    now = T0 + DEFAULT_REFRESH_TTL_MS;
    expect(await refresh.deleteExpired(now)).toBe(2);
    const readme = readFileSync('README.md', 'utf8').replace(/\s+/g, ' ');
    expect(readme).toContain(
      'Rotated, logged-out and revoked refresh tokens are kept until they expire (`REFRESH_TOKEN_TTL_SECONDS` after they were issued, 30 days by default)',
    );
    expect(DEFAULT_REFRESH_TTL_MS).toBe(30 * 24 * 3600 * 1000);
  });

  it('deletes expired tokens and tokens revoked longer than one TTL ago', async () => {
    await database.handle.db.deleteFrom('refresh_tokens').execute();
    const live = await refresh.issue('u1');
    const revokedRecently = await refresh.issue('u1');
    await refresh.revoke(revokedRecently.token);
    now = T0 + 1000;
    const later = await refresh.issue('u1');
    now = T0 + DEFAULT_REFRESH_TTL_MS;
    expect(await refresh.deleteExpired(now)).toBe(2);
    expect(await rowOf(live.token)).toBeUndefined();
    expect(await rowOf(later.token)).toBeDefined();
  });
});
