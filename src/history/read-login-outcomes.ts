import type { Kysely } from 'kysely';
import type { Database } from '../db/index.ts';
import type { LoginOutcome } from './login-outcome-recorder.ts';

/**
 * Login outcomes recorded from `since` to `until` (epoch ms), oldest first; at most `limit`
 * rows (the caller asks for one more than it accepts to tell a full period from a cut one).
 */
export async function readLoginOutcomes(
  db: Kysely<Database>,
  since: number,
  until = Number.MAX_SAFE_INTEGER,
  limit = Number.MAX_SAFE_INTEGER,
): Promise<LoginOutcome[]> {
  const rows = await db
    .selectFrom('login_outcomes')
    .selectAll()
    .where('occurred_at', '>=', since)
    .where('occurred_at', '<=', until)
    .orderBy('occurred_at')
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    // PostgreSQL returns bigint as a string.
    at: Number(row.occurred_at),
    clientKey: row.client_key,
    accountKey: row.account_key,
    outcome: row.outcome === 'success' ? 'success' : 'failure',
  }));
}
