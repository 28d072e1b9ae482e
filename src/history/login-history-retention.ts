import type { Kysely } from 'kysely';
import type { Database } from '../db/index.ts';

/** Rows deleted per statement by `pruneLoginHistory` (ties at the boundary may add a few). */
export const PRUNE_BATCH_ROWS = 5000;

/**
 * Deletes login outcomes older than `before` (epoch ms) in batches of about `batchRows`, oldest
 * first, so no statement holds a long lock on a large table. Safe with several instances: each
 * DELETE is idempotent. Returns how many rows went.
 */
export async function pruneLoginHistory(
  db: Kysely<Database>,
  before: number,
  batchRows = PRUNE_BATCH_ROWS,
): Promise<number> {
  let deleted = 0;
  for (;;) {
    // The time of the batchRows-th oldest row: everything up to it is one batch (index scan).
    const boundary = await db
      .selectFrom('login_outcomes')
      .select('occurred_at')
      .where('occurred_at', '<', before)
      .orderBy('occurred_at')
      .limit(1)
      .offset(batchRows - 1)
      .executeTakeFirst();
    const upTo = boundary === undefined ? null : Number(boundary.occurred_at);
    let query = db.deleteFrom('login_outcomes').where('occurred_at', '<', before);
    if (upTo !== null) query = query.where('occurred_at', '<=', upTo);
    const result = await query.executeTakeFirst();
    deleted += Number(result.numDeletedRows);
    if (upTo === null) return deleted;
  }
}
