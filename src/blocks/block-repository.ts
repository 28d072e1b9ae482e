import type { Kysely, Transaction } from 'kysely';
import type { Database, IpBlockRow } from '../db/index.ts';
import type { BlockEvidence, BlockRecord } from '../store/index.ts';

/** Rows of blocks lifted or expired longer ago than this are deleted on the next write (ms). */
export const BLOCK_ROW_RETENTION_MS = 3_600_000;

/** Rows written after a version, oldest first (lifted blocks have `expiresAt` ≤ the lift time). */
export interface BlockChanges {
  readonly version: number;
  readonly blocks: readonly BlockRecord[];
}

/**
 * `ip_blocks`: the embedded mode's blocks, shared by every process on the database. Each write
 * takes the next version under the `ip_block_versions` row lock, so versions follow commit
 * order and a poller reading `version > seen` misses nothing. Times are epoch ms.
 */
export class BlockRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Writes (or replaces) the block of its key; returns the write's version. */
  save(block: BlockRecord, now: number): Promise<number> {
    return this.#db.transaction().execute(async (trx) => {
      const version = await nextVersion(trx);
      const row = { ...toRow(block), version };
      await trx
        .insertInto('ip_blocks')
        .values(row)
        .onConflict((oc) => oc.column('ip_key').doUpdateSet(row))
        .execute();
      await trx
        .deleteFrom('ip_blocks')
        .where('expires_at', '<', now - BLOCK_ROW_RETENTION_MS)
        .execute();
      return version;
    });
  }

  /** Ends the active block of `ipKey` at `now`; false when there was none. */
  lift(ipKey: string, now: number): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      // The version first: its row lock orders this against a concurrent save of the key.
      const version = await nextVersion(trx);
      const result = await trx
        .updateTable('ip_blocks')
        .set({ expires_at: now, version })
        .where('ip_key', '=', ipKey)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    });
  }

  /** Active blocks at `now`, soonest expiry first. */
  async listActive(now: number): Promise<BlockRecord[]> {
    const rows = await this.#db
      .selectFrom('ip_blocks')
      .selectAll()
      .where('expires_at', '>', now)
      .orderBy('expires_at')
      .execute();
    return rows.map(toRecord);
  }

  /** Rows written after `version` (blocks and lifts), oldest first; one indexed query. */
  async changesSince(version: number): Promise<BlockChanges> {
    const rows = await this.#db
      .selectFrom('ip_blocks')
      .selectAll()
      .where('version', '>', version)
      .orderBy('version')
      .execute();
    const last = rows[rows.length - 1];
    return { version: last === undefined ? version : last.version, blocks: rows.map(toRecord) };
  }
}

async function nextVersion(trx: Transaction<Database>): Promise<number> {
  const row = await trx
    .updateTable('ip_block_versions')
    .set((eb) => ({ version: eb('version', '+', 1) }))
    .where('id', '=', 1)
    .returning('version')
    .executeTakeFirstOrThrow();
  return Number(row.version);
}

function toRow(block: BlockRecord) {
  return {
    ip_key: block.ipKey,
    rule: block.rule.slice(0, 64),
    reason: block.reason.slice(0, 200),
    evidence: JSON.stringify(block.evidence),
    created_at: block.createdAt,
    expires_at: block.expiresAt,
    manual: block.manual ? 1 : 0,
  };
}

function toRecord(row: IpBlockRow): BlockRecord {
  return {
    ipKey: row.ip_key,
    rule: row.rule,
    reason: row.reason,
    evidence: parseEvidence(row.evidence),
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    manual: Number(row.manual) === 1,
  };
}

function parseEvidence(text: string): BlockEvidence {
  const value: unknown = JSON.parse(text);
  const fields =
    typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  return {
    count: Number(fields.count ?? 0),
    limit: Number(fields.limit ?? 0),
    windowMs: Number(fields.windowMs ?? 0),
  };
}
