import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import { type Database, REFRESH_TOKEN_KEY_NAME } from '../db/index.ts';

/** A token as issued before tags existed: 32 random bytes in base64url, nothing else. */
const LEGACY_TOKEN = /^[A-Za-z0-9_-]{43}$/;
/** A tagged token: the random part, a dot, 16 bytes of HMAC-SHA256 in base64url. */
const SEALED_TOKEN = /^([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{22})$/;
const TAG_BYTES = 16;
/** How long a rolling deploy may keep instances on the old code after `flux-auth migrate`. */
const ROLLOUT_GRACE_MS = 24 * 60 * 60 * 1000;

/** What a presented token is, before any database work. */
export type SealCheck = 'sealed' | 'legacy' | 'forged';

/**
 * Tags refresh tokens with an HMAC so that a made-up token is refused in-process. Token
 * endpoints have no IP block (a blocked neighbour must not log everyone out), so without the
 * tag each guess cost the database a lookup. The key lives in the database (migration 0008):
 * reading it only lets someone cause lookups, never forge a session, since the token must
 * still match a stored hash.
 */
export class RefreshTokenSeal {
  readonly #key: Buffer;
  readonly #legacyUntil: number | null;

  /** `legacyUntil`: until when untagged tokens from before the tag may still be valid. */
  constructor(key: Buffer, legacyUntil: number | null) {
    this.#key = key;
    this.#legacyUntil = legacyUntil;
  }

  /** Appends the tag to a 43-character random part. */
  seal(random: string): string {
    return `${random}.${this.#tag(random)}`;
  }

  /** 'sealed' (tag matches), 'legacy' (untagged and old tokens may still be live) or 'forged'. */
  check(token: string, now: number): SealCheck {
    const sealed = SEALED_TOKEN.exec(token);
    if (sealed) {
      // Compared as text: 22 characters carry 132 bits, and decoding would ignore the last 4,
      // letting 16 spellings of one tag through (each a lookup of a hash that is not stored).
      const given = Buffer.from(sealed[2] as string);
      const expected = Buffer.from(this.#tag(sealed[1] as string));
      return timingSafeEqual(given, expected) ? 'sealed' : 'forged';
    }
    const legacyLive = this.#legacyUntil !== null && now < this.#legacyUntil;
    return legacyLive && LEGACY_TOKEN.test(token) ? 'legacy' : 'forged';
  }

  /** The tag of a random part, as its 22 base64url characters. */
  #tag(random: string): string {
    const mac = createHmac('sha256', this.#key).update(random).digest();
    return mac.subarray(0, TAG_BYTES).toString('base64url');
  }
}

/** Thrown when the key row is missing: the schema is older than this code. */
export class MissingSealKeyError extends Error {
  constructor() {
    super('refresh token key missing from service_keys; run `flux-auth migrate` first.');
    this.name = 'MissingSealKeyError';
  }
}

/**
 * Reads the key that migration 0008 created. On a database that had users then, untagged tokens
 * are accepted until the last one stored then expires, and at least one token lifetime (`ttlMs`)
 * plus a day after the migration: instances still on the old code keep issuing untagged tokens
 * until a rolling deploy replaces them.
 */
export async function loadRefreshTokenSeal(
  db: Kysely<Database>,
  ttlMs: number,
): Promise<RefreshTokenSeal> {
  const row = await db
    .selectFrom('service_keys')
    .select(['secret', 'created_at', 'legacy_until'])
    .where('name', '=', REFRESH_TOKEN_KEY_NAME)
    .executeTakeFirst();
  if (!row) throw new MissingSealKeyError();
  const legacyUntil =
    row.legacy_until === null
      ? null
      : Math.max(Number(row.legacy_until), Number(row.created_at) + ttlMs + ROLLOUT_GRACE_MS);
  return new RefreshTokenSeal(Buffer.from(row.secret, 'base64url'), legacyUntil);
}
