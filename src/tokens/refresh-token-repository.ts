import type { Kysely } from 'kysely';
import type { Database, RefreshTokenRow } from '../db/index.ts';

/** A refresh token row to insert; the token itself is never stored, only its SHA-256 hex. */
export interface NewRefreshToken {
  readonly id: string;
  readonly userId: string;
  readonly familyId: string;
  readonly tokenHash: string;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
}

/**
 * refresh_tokens table access. Construct it on a Kysely transaction to take part in it.
 * All times are epoch milliseconds.
 */
export class RefreshTokenRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Inserts one token row. */
  async insert(token: NewRefreshToken): Promise<void> {
    await this.#db
      .insertInto('refresh_tokens')
      .values({
        id: token.id,
        user_id: token.userId,
        family_id: token.familyId,
        token_hash: token.tokenHash,
        created_at: token.createdAt,
        expires_at: token.expiresAt,
        rotated_at: null,
        revoked_at: null,
        replaced_by: null,
      })
      .execute();
  }

  /** The row with this token hash, or undefined. */
  findByHash(tokenHash: string): Promise<RefreshTokenRow | undefined> {
    return this.#db
      .selectFrom('refresh_tokens')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
  }

  /**
   * Atomically marks a live token rotated (one conditional UPDATE). Returns true for exactly
   * one caller; false if it was already rotated, revoked or expired at `now`.
   */
  async markRotated(id: string, successorId: string, now: number): Promise<boolean> {
    const result = await this.#db
      .updateTable('refresh_tokens')
      .set({ rotated_at: now, replaced_by: successorId })
      .where('id', '=', id)
      .where('rotated_at', 'is', null)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  /** Sets `revoked_at` on every not yet revoked row of a family; returns how many. */
  async revokeFamily(familyId: string, now: number): Promise<number> {
    const result = await this.#db
      .updateTable('refresh_tokens')
      .set({ revoked_at: now })
      .where('family_id', '=', familyId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** Sets `revoked_at` on every not yet revoked row of a user; returns how many. */
  async revokeUser(userId: string, now: number): Promise<number> {
    const result = await this.#db
      .updateTable('refresh_tokens')
      .set({ revoked_at: now })
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** Deletes rows expired at `now` or revoked before `revokedBefore`; returns how many. */
  async deleteExpired(now: number, revokedBefore: number): Promise<number> {
    const result = await this.#db
      .deleteFrom('refresh_tokens')
      .where((eb) => eb.or([eb('expires_at', '<=', now), eb('revoked_at', '<', revokedBefore)]))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
