import type { Kysely } from 'kysely';
import type { Database } from '../db/index.ts';
import type { SecurityEvent, SecurityEventBus } from '../events/index.ts';

/**
 * Revokes every session (refresh token family) an account had before `before` (epoch ms): the
 * families whose first token is older. The session of the login that raised the event is issued
 * after it and stays. Returns how many tokens were revoked.
 */
export async function revokeSessionsBefore(
  db: Kysely<Database>,
  userId: string,
  before: number,
  now: number,
): Promise<number> {
  const older = db
    .selectFrom('refresh_tokens')
    .select('family_id')
    .where('user_id', '=', userId)
    .groupBy('family_id')
    .having((eb) => eb.fn.min('created_at'), '<', before);
  const result = await db
    .updateTable('refresh_tokens')
    .set({ revoked_at: now })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .where('family_id', 'in', older)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** What `revokeOnImpossibleTravel` needs. */
export interface TravelRevocationOptions {
  readonly bus: SecurityEventBus;
  readonly db: Kysely<Database>;
  readonly clock: () => number;
  /** Told how many tokens went (for the log). */
  readonly onRevoked?: (userId: string, revokedTokens: number) => void;
  readonly onError?: (error: unknown) => void;
}

/**
 * Policy `account_takeover.revokeSessionsOnImpossibleTravel`: an `impossible_travel` event whose
 * details say `revokeSessions` revokes the account's other sessions, off the request path.
 * Returns the unsubscribe function.
 */
export function revokeOnImpossibleTravel(options: TravelRevocationOptions): () => void {
  const { bus, db, clock } = options;
  return bus.subscribe((event: SecurityEvent) => {
    if (event.type !== 'impossible_travel' || !event.details.revokeSessions) return;
    const userId = event.userId;
    if (userId === null) return;
    revokeSessionsBefore(db, userId, event.at, clock()).then(
      (count) => options.onRevoked?.(userId, count),
      (error: unknown) => options.onError?.(error),
    );
  });
}
