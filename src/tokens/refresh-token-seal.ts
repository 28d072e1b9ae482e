import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import { type Database, REFRESH_TOKEN_KEY_NAME } from '../db/index.ts';

/** A token as issued before tags existed: 32 random bytes in base64url, nothing else. */
const LEGACY_TOKEN = /^[A-Za-z0-9_-]{43}$/;
/** A tagged token: the random part, a dot, 16 bytes of HMAC-SHA256 in base64url. */
const SEALED_TOKEN = /^([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{22})$/;
const TAG_BYTES = 16;

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
    return `${random}.${this.#tag(random).toString('base64url')}`;
  }

  /** 'sealed' (tag matches), 'legacy' (untagged and old tokens may still be live) or 'forged'. */
  check(token: string, now: number): SealCheck {
    const sealed = SEALED_TOKEN.exec(token);
    if (sealed) {
      const given = Buffer.from(sealed[2] as string, 'base64url');
      const ok =
        given.length === TAG_BYTES && timingSafeEqual(given, this.#tag(sealed[1] as string));
      return ok ? 'sealed' : 'forged';
    }
    const legacyLive = this.#legacyUntil !== null && now < this.#legacyUntil;
    return legacyLive && LEGACY_TOKEN.test(token) ? 'legacy' : 'forged';
  }

  #tag(random: string): Buffer {
    return createHmac('sha256', this.#key).update(random).digest().subarray(0, TAG_BYTES);
  }
}

/** Thrown when the key row is missing: the schema is older than this code. */
export class MissingSealKeyError extends Error {
  constructor() {
    super('refresh token key missing from service_keys; run `flux-auth migrate` first.');
    this.name = 'MissingSealKeyError';
  }
}

/** Reads the key that migration 0008 created. */
export async function loadRefreshTokenSeal(db: Kysely<Database>): Promise<RefreshTokenSeal> {
  const row = await db
    .selectFrom('service_keys')
    .select(['secret', 'legacy_until'])
    .where('name', '=', REFRESH_TOKEN_KEY_NAME)
    .executeTakeFirst();
  if (!row) throw new MissingSealKeyError();
  const legacyUntil = row.legacy_until === null ? null : Number(row.legacy_until);
  return new RefreshTokenSeal(Buffer.from(row.secret, 'base64url'), legacyUntil);
}
