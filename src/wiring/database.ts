import type { Logger } from 'pino';
import type { Config } from '../config/index.ts';
import {
  createDatabase,
  type DatabaseHandle,
  listPendingMigrations,
  migrateToLatest,
} from '../db/index.ts';
import type { DependencyState } from '../http/ports.ts';

// One warning when an outage is confirmed and one info line when it ends, never one per request.
// Only the driver's code and message are logged: they never hold the URL's password.
export function openDatabase(config: Config, logger: Logger): DatabaseHandle {
  return createDatabase({
    url: config.databaseUrl,
    onUnavailable: (error) =>
      logger.warn(
        { reason: describeError(error) },
        'database unavailable: answering 503 SERVICE_UNAVAILABLE until it is back',
      ),
    onRecovered: ({ downMs, refusedCount }) =>
      logger.info({ downMs, refusedCount }, 'database available again'),
  });
}

export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
}
/** Production refuses to serve on a schema that is behind the code (every login would fail). */
export class PendingMigrationsError extends Error {
  constructor(readonly pending: readonly string[]) {
    super(
      `${pending.length} database migration(s) pending (${pending.join(', ')}); run \`flux-auth migrate\` first.`,
    );
    this.name = 'PendingMigrationsError';
  }
}

/**
 * Development migrates by itself; production only checks, since migrating is a deploy step.
 * Throws PendingMigrationsError (after closing `database`) when production is behind.
 */
export async function prepareSchema(config: Config, database: DatabaseHandle): Promise<void> {
  if (config.env !== 'production') {
    await migrateToLatest(database.db);
    return;
  }
  const pending = await listPendingMigrations(database.db);
  if (pending.length > 0) {
    await database.destroy();
    throw new PendingMigrationsError(pending);
  }
}

/** The database's readiness: known down, or a ping within 2 s. */
export async function databaseState(database: DatabaseHandle): Promise<DependencyState> {
  // Known down: say so without queueing another connection attempt.
  if (!database.isAvailable()) return { status: 'down', detail: 'database unreachable' };
  try {
    await withTimeout(database.ping(), 2000);
    return { status: 'ok' };
  } catch {
    return { status: 'down', detail: 'database did not answer' };
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
