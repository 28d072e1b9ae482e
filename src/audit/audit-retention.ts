import type { DatabaseHandle } from '../db/index.ts';

/** Default `AUDIT_RETENTION_DAYS`. */
export const DEFAULT_AUDIT_RETENTION_DAYS = 90;

/** Rows deleted per statement by default: each DELETE is short, so no long lock is held. */
export const DEFAULT_RETENTION_BATCH_SIZE = 1000;

const DAY_MS = 86_400_000;

/** What one retention run needs; `now` in epoch ms. */
export interface AuditRetentionRun {
  readonly now: number;
  readonly retentionDays: number;
  readonly batchSize?: number;
}

/**
 * Deletes security events older than `retentionDays` before `now`, oldest first, in batches of
 * `batchSize` rows chosen by the (created_at, id) index and deleted by id, each batch its own
 * short statement. Safe with several instances: two runs may pick the same batch, and the
 * second DELETE then finds nothing. Resolves with the rows this run deleted.
 */
export async function deleteExpiredEvents(
  database: DatabaseHandle,
  run: AuditRetentionRun,
): Promise<number> {
  const cutoff = run.now - run.retentionDays * DAY_MS;
  const batchSize = run.batchSize ?? DEFAULT_RETENTION_BATCH_SIZE;
  let deleted = 0;
  for (;;) {
    const rows = await database.db
      .selectFrom('security_events')
      .select('id')
      .where('created_at', '<', cutoff)
      .orderBy('created_at')
      .limit(batchSize)
      .execute();
    if (rows.length === 0) return deleted;
    const result = await database.db
      .deleteFrom('security_events')
      .where(
        'id',
        'in',
        rows.map((row) => row.id),
      )
      .executeTakeFirst();
    deleted += Number(result.numDeletedRows);
    if (rows.length < batchSize) return deleted;
  }
}
