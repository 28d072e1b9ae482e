import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/index.ts';
import { InvalidRefreshTokenError } from '../errors.ts';
import { EVENT_TYPES, type SecurityEventBus } from '../events/index.ts';
import { RefreshTokenRepository } from './refresh-token-repository.ts';
import type { RefreshTokenSeal } from './refresh-token-seal.ts';

/** Default refresh token lifetime in milliseconds (30 days). */
export const DEFAULT_REFRESH_TTL_MS = 30 * 24 * 60 * 60 * 1000;

/** Who presented a token, for the security event on reuse. */
export interface RequestContext {
  readonly ip: string | null;
  readonly userAgent: string | null;
  readonly requestId: string | null;
}

/** A newly issued refresh token (give `token` to the client; only its hash is stored). */
export interface IssuedRefreshToken {
  readonly token: string;
  readonly userId: string;
  readonly familyId: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
}

/** Dependencies of {@link RefreshTokens}. */
export interface RefreshTokensOptions {
  readonly db: Kysely<Database>;
  readonly events: SecurityEventBus;
  /** Tags issued tokens and refuses made-up ones before the database (loadRefreshTokenSeal). */
  readonly seal: RefreshTokenSeal;
  /** Lifetime of each token in milliseconds; default 30 days. */
  readonly ttlMs?: number;
  /** Epoch milliseconds; default Date.now. */
  readonly clock?: () => number;
}

/** SHA-256 hex of a refresh token: the only form that is stored. */
export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Opaque rotating refresh tokens (256 random bits, base64url, plus an HMAC tag) in families.
 * Presenting a rotated token revokes its family and publishes `refresh_token_reuse` (high).
 * A token whose tag does not match is refused without a database query.
 */
export class RefreshTokens {
  readonly #db: Kysely<Database>;
  readonly #repository: RefreshTokenRepository;
  readonly #events: SecurityEventBus;
  readonly #seal: RefreshTokenSeal;
  readonly #ttlMs: number;
  readonly #clock: () => number;

  constructor(options: RefreshTokensOptions) {
    this.#db = options.db;
    this.#repository = new RefreshTokenRepository(options.db);
    this.#events = options.events;
    this.#seal = options.seal;
    this.#ttlMs = options.ttlMs ?? DEFAULT_REFRESH_TTL_MS;
    this.#clock = options.clock ?? Date.now;
  }

  /** Issues a token for a user, in a new family unless `familyId` is given. */
  async issue(userId: string, familyId: string = randomUUID()): Promise<IssuedRefreshToken> {
    const issued = this.#newToken(userId, familyId, this.#clock());
    await this.#repository.insert(issued.row);
    return issued.result;
  }

  /**
   * Exchanges a live token for its successor in the same family. Throws
   * InvalidRefreshTokenError when unknown, expired, revoked, rotated (which also revokes
   * the family and publishes `refresh_token_reuse`) or lost to a concurrent rotation.
   */
  async rotate(token: string, context: RequestContext): Promise<IssuedRefreshToken> {
    const now = this.#clock();
    const row = await this.#find(token, now);
    if (!row) throw new InvalidRefreshTokenError();
    if (row.rotated_at !== null) {
      await this.#handleReuse(row.user_id, row.family_id, now, context);
      throw new InvalidRefreshTokenError();
    }
    if (row.revoked_at !== null || row.expires_at <= now) throw new InvalidRefreshTokenError();

    const successor = this.#newToken(row.user_id, row.family_id, now);
    const won = await this.#db.transaction().execute(async (trx) => {
      const repository = new RefreshTokenRepository(trx);
      // The conditional UPDATE is the arbiter: under concurrency exactly one caller sees
      // one updated row. A loser read the row before the winner committed, so it is a
      // double submit rather than a replay, and gets a plain refusal.
      if (!(await repository.markRotated(row.id, successor.row.id, now))) return false;
      await repository.insert(successor.row);
      return true;
    });
    if (!won) throw new InvalidRefreshTokenError();
    return successor.result;
  }

  /** Revokes the session (whole family) of a token, for logout. Unknown tokens are ignored. */
  async revoke(token: string): Promise<void> {
    const now = this.#clock();
    const row = await this.#find(token, now);
    if (row) await this.#repository.revokeFamily(row.family_id, now);
  }

  /** Revokes every token of a family; returns how many rows changed. */
  revokeFamily(familyId: string): Promise<number> {
    return this.#repository.revokeFamily(familyId, this.#clock());
  }

  /** Revokes every session (all families) of a user; returns how many tokens changed. */
  revokeUser(userId: string): Promise<number> {
    return this.#repository.revokeUser(userId, this.#clock());
  }

  /** Deletes tokens expired at `now` or revoked more than one TTL ago; returns how many. */
  deleteExpired(now: number): Promise<number> {
    return this.#repository.deleteExpired(now, now - this.#ttlMs);
  }

  /** The stored row of a token, or undefined; a forged one never reaches the database. */
  async #find(token: string, now: number) {
    if (this.#seal.check(token, now) === 'forged') return undefined;
    return this.#repository.findByHash(hashRefreshToken(token));
  }

  async #handleReuse(
    userId: string,
    familyId: string,
    now: number,
    context: RequestContext,
  ): Promise<void> {
    const revokedTokens = await this.#repository.revokeFamily(familyId, now);
    // One alert per compromised family: replaying a token of a family that is already revoked
    // (by an earlier reuse or a logout) must not let anyone flood the audit log and alerts.
    if (revokedTokens === 0) return;
    // Never the token or its hash: events reach logs, dashboards and alerts.
    this.#events.publish({
      type: 'refresh_token_reuse',
      severity: EVENT_TYPES.refresh_token_reuse.severity,
      at: now,
      ip: context.ip,
      userId,
      userAgent: context.userAgent,
      rule: null,
      requestId: context.requestId,
      details: { familyId, revokedTokens },
    });
  }

  #newToken(userId: string, familyId: string, now: number) {
    const token = this.#seal.seal(randomBytes(32).toString('base64url'));
    const id = randomUUID();
    const expiresAt = now + this.#ttlMs;
    return {
      row: { id, userId, familyId, tokenHash: hashRefreshToken(token), createdAt: now, expiresAt },
      result: { token, userId, familyId, expiresAt } satisfies IssuedRefreshToken,
    };
  }
}
