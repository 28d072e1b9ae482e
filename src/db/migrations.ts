import { randomBytes } from 'node:crypto';
import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';

/** Name of the service_keys row that keys refresh-token tags. */
export const REFRESH_TOKEN_KEY_NAME = 'refresh_token_mac';

// Times are stored as epoch milliseconds in a 64-bit integer on both dialects.
const migrations: Record<string, Migration> = {
  '0001_initial': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('users')
        .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
        .addColumn('email', 'varchar(254)', (c) => c.notNull().unique())
        .addColumn('name', 'varchar(400)', (c) => c.notNull())
        .addColumn('password_hash', 'varchar(255)', (c) => c.notNull())
        .addColumn('role', 'varchar(16)', (c) => c.notNull().defaultTo('user'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('refresh_tokens')
        .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
        .addColumn('user_id', 'varchar(36)', (c) =>
          c.notNull().references('users.id').onDelete('cascade'),
        )
        .addColumn('family_id', 'varchar(36)', (c) => c.notNull())
        .addColumn('token_hash', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('rotated_at', 'bigint')
        .addColumn('revoked_at', 'bigint')
        .addColumn('replaced_by', 'varchar(36)')
        .execute();
      await db.schema
        .createIndex('refresh_tokens_family_idx')
        .on('refresh_tokens')
        .column('family_id')
        .execute();
      await db.schema
        .createIndex('refresh_tokens_expires_idx')
        .on('refresh_tokens')
        .column('expires_at')
        .execute();
      await db.schema
        .createTable('security_events')
        .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('type', 'varchar(64)', (c) => c.notNull())
        .addColumn('severity', 'varchar(16)', (c) => c.notNull())
        .addColumn('ip', 'varchar(64)')
        .addColumn('user_id', 'varchar(36)')
        .addColumn('user_agent', 'varchar(512)')
        .addColumn('rule', 'varchar(64)')
        .addColumn('details', 'text', (c) => c.notNull())
        .addColumn('request_id', 'varchar(64)')
        .execute();
      await db.schema
        .createIndex('security_events_time_idx')
        .on('security_events')
        .columns(['created_at', 'id'])
        .execute();
      await db.schema
        .createIndex('security_events_ip_idx')
        .on('security_events')
        .columns(['ip', 'created_at'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('security_events').execute();
      await db.schema.dropTable('refresh_tokens').execute();
      await db.schema.dropTable('users').execute();
    },
  },
  // Blocks of the embedded mode (no Redis), so they survive a restart and reach every process
  // on this database. A lifted block stays as a row with `expires_at` at the lift time, so
  // pollers see lifts as well as blocks: each write takes the next `ip_block_versions.version`.
  '0002_ip_blocks': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('ip_blocks')
        .addColumn('ip_key', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('rule', 'varchar(64)', (c) => c.notNull())
        .addColumn('reason', 'varchar(200)', (c) => c.notNull())
        .addColumn('evidence', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('manual', 'integer', (c) => c.notNull())
        .addColumn('version', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('ip_blocks_version_idx')
        .on('ip_blocks')
        .column('version')
        .execute();
      await db.schema
        .createTable('ip_block_versions')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('version', 'bigint', (c) => c.notNull())
        .execute();
      await (db as Kysely<{ ip_block_versions: { id: number; version: number } }>)
        .insertInto('ip_block_versions')
        .values({ id: 1, version: 0 })
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('ip_block_versions').execute();
      await db.schema.dropTable('ip_blocks').execute();
    },
  },
  // Every login attempt that reached the password check: the source of failed-login charts and of
  // the backtest. Compact on purpose (no id): retention deletes by time in batches.
  '0003_login_outcomes': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('login_outcomes')
        .addColumn('occurred_at', 'bigint', (c) => c.notNull())
        .addColumn('client_key', 'varchar(64)', (c) => c.notNull())
        .addColumn('account_key', 'varchar(64)', (c) => c.notNull())
        .addColumn('outcome', 'varchar(16)', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('login_outcomes_time_idx')
        .on('login_outcomes')
        .column('occurred_at')
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('login_outcomes').execute();
    },
  },
  // Every alert message the service tried to send, one row per channel, for the dashboard and
  // `GET /api/admin/alerts`.
  '0004_alerts': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('alerts')
        .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('channel', 'varchar(16)', (c) => c.notNull())
        .addColumn('kind', 'varchar(16)', (c) => c.notNull())
        .addColumn('rule', 'varchar(64)', (c) => c.notNull())
        .addColumn('severity', 'varchar(16)', (c) => c.notNull())
        .addColumn('event_count', 'integer', (c) => c.notNull())
        .addColumn('outcome', 'varchar(16)', (c) => c.notNull())
        .addColumn('details', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('alerts_time_idx')
        .on('alerts')
        .columns(['created_at', 'id'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('alerts').execute();
    },
  },
  // Dashboard sessions (one row per signed-in browser, keyed by the SHA-256 of its cookie), and
  // the indexes that let `GET /api/admin/stats` count blocks, throttles and failed logins per
  // bucket from an index range instead of a scan (1,000,000 events: see bench/admin-stats.ts).
  '0006_admin_sessions': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('admin_sessions')
        .addColumn('id_hash', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('user_id', 'varchar(36)', (c) =>
          c.notNull().references('users.id').onDelete('cascade'),
        )
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('admin_sessions_user_idx')
        .on('admin_sessions')
        .column('user_id')
        .execute();
      await db.schema
        .createIndex('security_events_type_time_idx')
        .on('security_events')
        .columns(['type', 'created_at'])
        .execute();
      await db.schema
        .createIndex('login_outcomes_outcome_time_idx')
        .on('login_outcomes')
        .columns(['outcome', 'occurred_at'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex('login_outcomes_outcome_time_idx').execute();
      await db.schema.dropIndex('security_events_type_time_idx').execute();
      await db.schema.dropTable('admin_sessions').execute();
    },
  },
  // The admin events feed filtered by severity, newest first: without it SQLite walked the time
  // index and read past every other severity (p99 63 ms over 1,000,000 events; target 50 ms).
  '0007_security_events_severity': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createIndex('security_events_severity_time_idx')
        .on('security_events')
        .columns(['severity', 'created_at', 'id'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex('security_events_severity_time_idx').execute();
    },
  },
  // The key of the tag that lets a made-up refresh token be refused without a database lookup
  // (token endpoints have no IP block, so each guess used to cost PostgreSQL a query). Tokens
  // issued before have no tag. On a database with users, `legacy_until` is the last expiry of a
  // token not yet revoked (replaying a revoked one is refused either way); the service extends it
  // to at least one token lifetime plus a day after this migration's `created_at` (see
  // loadRefreshTokenSeal), for tokens that instances still on the old code issue during a
  // rolling deploy. Migrating down and up again makes a new key, which ends every session.
  '0008_service_keys': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('service_keys')
        .addColumn('name', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('secret', 'varchar(128)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('legacy_until', 'bigint')
        .execute();
      // biome-ignore lint/suspicious/noExplicitAny: Kysely migrations are schema-agnostic
      const typed = db as Kysely<any>;
      const now = Date.now();
      const hasUsers = (await typed.selectFrom('users').select('id').limit(1).execute()).length > 0;
      const last = await typed
        .selectFrom('refresh_tokens')
        .where('revoked_at', 'is', null)
        .select((eb) => eb.fn.max('expires_at').as('until'))
        .executeTakeFirst();
      await typed
        .insertInto('service_keys')
        .values({
          name: REFRESH_TOKEN_KEY_NAME,
          secret: randomBytes(32).toString('base64url'),
          created_at: now,
          legacy_until: hasUsers ? Math.max(now, Number(last?.until ?? 0)) : null,
        })
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('service_keys').execute();
    },
  },
};

const provider: MigrationProvider = {
  getMigrations: async () => migrations,
};

// biome-ignore-start lint/suspicious/noExplicitAny: Kysely migrations are schema-agnostic
/** Builds the migrator for this schema; migrations are compiled in, not read from disk. */
export function createMigrator(db: Kysely<any>): Migrator {
  return new Migrator({ db, provider });
}

/** Applies every pending migration. Throws with the failing migration's name on error. */
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const { error, results } = await createMigrator(db).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`migration ${failed} failed`, { cause: error });
  }
  return (results ?? []).map((r) => r.migrationName);
}

/** Names of migrations that exist in code but are not yet applied to the database. */
export async function listPendingMigrations(db: Kysely<any>): Promise<string[]> {
  const all = await createMigrator(db).getMigrations();
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name);
}
// biome-ignore-end lint/suspicious/noExplicitAny: Kysely migrations are schema-agnostic
