import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { type Database, isDataError } from '../db/index.ts';
import { ServiceUnavailableError } from '../errors.ts';
import { scheduleTokenCleanup } from '../jobs/token-cleanup.ts';
import { pruneLoginHistory } from './login-history-retention.ts';
import { LoginOutcomeRecorder } from './login-outcome-recorder.ts';

const DAY_MS = 86_400_000;

/** What the login history of one instance is built from; `retentionDays` is LOGIN_HISTORY_DAYS. */
export interface LoginHistoryOptions {
  readonly db: Kysely<Database>;
  readonly retentionDays: number;
  /** How often old rows are pruned (ms). */
  readonly pruneIntervalMs: number;
  readonly logger: Logger;
  readonly clock: () => number;
  readonly onUnexpectedError?: (error: unknown, operation: string) => void;
}

/** The recorder and its retention job; `close` stops the job and writes what is buffered. */
export interface LoginHistory {
  readonly recorder: LoginOutcomeRecorder;
  close(): Promise<void>;
}

/** Builds the batched `login_outcomes` recorder and schedules its retention. */
export function createLoginHistory(options: LoginHistoryOptions): LoginHistory {
  const { db, logger, clock } = options;
  const report = options.onUnexpectedError ?? (() => {});
  const recorder = new LoginOutcomeRecorder({
    db,
    isRetryable: (error) => !isDataError(error),
    onError: (error, dropped) => {
      // A database outage is logged once by the database itself; here only what it costs.
      if (error instanceof ServiceUnavailableError && dropped === 0) {
        logger.info('login outcomes buffered until the database is back');
      } else {
        logger.error({ err: error, dropped }, 'login outcomes: write failed');
        report(error, 'login_history_write');
      }
    },
    onRecovered: ({ writtenCount, droppedCount }) =>
      logger.info({ writtenCount, droppedCount }, 'buffered login outcomes written'),
  });
  const stopPruning = scheduleTokenCleanup({
    deleteExpired: (now) => pruneLoginHistory(db, now - options.retentionDays * DAY_MS),
    intervalMs: options.pruneIntervalMs,
    clock,
    onResult: (deleted) => {
      if (deleted > 0) logger.info({ deleted }, 'old login outcomes deleted');
    },
    onError: (error) => {
      if (error instanceof ServiceUnavailableError) return;
      logger.error({ err: error }, 'login outcomes: retention failed');
      report(error, 'login_history_retention');
    },
  });
  return {
    recorder,
    close: async () => {
      stopPruning();
      await recorder.close();
    },
  };
}
