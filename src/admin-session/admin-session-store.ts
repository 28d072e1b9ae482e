import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/index.ts';

/** A live dashboard session as the HTTP layer needs it. */
export interface ActiveAdminSession {
  readonly userId: string;
  /** The CSRF token bound to this session (derived from the cookie, never stored). */
  readonly csrfToken: string;
}

/** A new session: the cookie value to set and its CSRF token. */
export interface NewAdminSession extends ActiveAdminSession {
  readonly token: string;
}

/** What the store is built from; durations in ms, `clock` in epoch ms. */
export interface AdminSessionStoreOptions {
  readonly db: Kysely<Database>;
  readonly clock: () => number;
  /** A session unused for this long is over. */
  readonly idleMs: number;
  /** A session is over this long after sign-in however busy it is. */
  readonly maxAgeMs: number;
}

// Writing last_seen_at on every poll would be one UPDATE per request for nothing: sliding in
// steps this small keeps the idle timeout exact to the second for any practical setting.
const TOUCH_STEP_MS = 5000;

/**
 * Dashboard sessions in the database (so every instance sees a sign-out at once). The cookie
 * holds 32 random bytes; the table holds only their SHA-256. Idle timeout slides on use.
 */
export class AdminSessionStore {
  readonly #options: AdminSessionStoreOptions;

  constructor(options: AdminSessionStoreOptions) {
    this.#options = options;
  }

  /** Starts a session for `userId` (an admin checked by the caller); sweeps ended ones. */
  async create(userId: string): Promise<NewAdminSession> {
    // Sessions abandoned without sign-out go here: the table holds admins' browsers only.
    await this.deleteExpired();
    const token = randomBytes(32).toString('base64url');
    const now = this.#options.clock();
    await this.#options.db
      .insertInto('admin_sessions')
      .values({
        id_hash: hashToken(token),
        user_id: userId,
        created_at: now,
        last_seen_at: now,
        expires_at: now + this.#options.maxAgeMs,
      })
      .execute();
    return { token, userId, csrfToken: csrfTokenOf(token) };
  }

  /**
   * The session of cookie value `token`, or null when unknown, idle too long or too old (an
   * ended session is deleted). `slide` false reads without counting as use (background polls).
   */
  async resolve(token: string, options: { slide: boolean }): Promise<ActiveAdminSession | null> {
    const idHash = hashToken(token);
    const { db, clock, idleMs } = this.#options;
    const row = await db
      .selectFrom('admin_sessions')
      .select(['user_id', 'last_seen_at', 'expires_at'])
      .where('id_hash', '=', idHash)
      .executeTakeFirst();
    if (!row) return null;
    const now = clock();
    if (now >= Number(row.expires_at) || now - Number(row.last_seen_at) >= idleMs) {
      await db.deleteFrom('admin_sessions').where('id_hash', '=', idHash).execute();
      return null;
    }
    if (options.slide && now - Number(row.last_seen_at) >= TOUCH_STEP_MS) {
      await db
        .updateTable('admin_sessions')
        .set({ last_seen_at: now })
        .where('id_hash', '=', idHash)
        .execute();
    }
    return { userId: row.user_id, csrfToken: csrfTokenOf(token) };
  }

  /** Ends the session of cookie value `token` (sign-out); unknown tokens are ignored. */
  async revoke(token: string): Promise<void> {
    await this.#options.db
      .deleteFrom('admin_sessions')
      .where('id_hash', '=', hashToken(token))
      .execute();
  }

  /** Deletes sessions that are over; returns how many. */
  async deleteExpired(): Promise<number> {
    const now = this.#options.clock();
    const result = await this.#options.db
      .deleteFrom('admin_sessions')
      .where((eb) =>
        eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<=', now - this.#options.idleMs)]),
      )
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

/** True when `presented` is the CSRF token of the session (constant time). */
export function isCsrfTokenValid(session: ActiveAdminSession, presented: string): boolean {
  const expected = Buffer.from(session.csrfToken);
  const given = Buffer.from(presented);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

// Keyed by the session secret itself: only a holder of the cookie can compute it, and a page
// on another site can read neither the cookie nor this token.
function csrfTokenOf(token: string): string {
  return createHmac('sha256', token).update('flux-auth admin csrf').digest('base64url');
}
