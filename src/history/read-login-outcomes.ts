import type { Kysely } from 'kysely';
import type { Database } from '../db/index.ts';
import type { LoginOutcome } from './login-outcome-recorder.ts';

/** Login outcomes recorded at or after `since` (epoch ms), oldest first. */
export async function readLoginOutcomes(
  db: Kysely<Database>,
  since: number,
): Promise<LoginOutcome[]> {
  const rows = await db
    .selectFrom('login_outcomes')
    .selectAll()
    .where('occurred_at', '>=', since)
    .orderBy('occurred_at')
    .execute();
  return rows.map((row) => ({
    // PostgreSQL returns bigint as a string.
    at: Number(row.occurred_at),
    clientKey: row.client_key,
    accountKey: row.account_key,
    outcome: row.outcome === 'success' ? 'success' : 'failure',
  }));
}
