import type { Kysely } from 'kysely';
import type { Database, LoginOutcomesTable } from '../db/index.ts';
import { BatchWriter, type BatchWriterOptions } from './batch-writer.ts';

/** One login that reached the password check. */
export interface LoginOutcome {
  /** Epoch ms. */
  readonly at: number;
  /** The client key (IPv4, or IPv6 per /64). */
  readonly clientKey: string;
  /** `hashAccount(canonical email)`: never the address itself. */
  readonly accountKey: string;
  readonly outcome: 'success' | 'failure';
}

/** Options: the database, and the batching and error reporting of `BatchWriter`. */
export type LoginOutcomeRecorderOptions = Omit<BatchWriterOptions<LoginOutcomesTable>, 'write'> & {
  readonly db: Kysely<Database>;
};

/**
 * Records login outcomes in `login_outcomes`, batched (one INSERT per batch, never one per
 * login), buffered through a database outage, written at shutdown by `close`.
 */
export class LoginOutcomeRecorder {
  readonly #writer: BatchWriter<LoginOutcomesTable>;

  constructor(options: LoginOutcomeRecorderOptions) {
    const { db, ...batching } = options;
    this.#writer = new BatchWriter({
      ...batching,
      write: async (rows) => {
        await db.insertInto('login_outcomes').values(rows).execute();
      },
    });
  }

  /** Queues one outcome; never throws, never waits for the database. */
  record(outcome: LoginOutcome): void {
    this.#writer.add({
      occurred_at: outcome.at,
      client_key: outcome.clientKey.slice(0, 64),
      account_key: outcome.accountKey.slice(0, 64),
      outcome: outcome.outcome,
    });
  }

  /** Writes what is buffered now. */
  flush(): Promise<void> {
    return this.#writer.flush();
  }

  /** Writes what is buffered and stops (shutdown). */
  close(): Promise<void> {
    return this.#writer.close();
  }

  /** Counters for tests and metrics. */
  stats(): { written: number; dropped: number; buffered: number; batches: number } {
    const w = this.#writer;
    return {
      written: w.writtenCount,
      dropped: w.droppedCount,
      buffered: w.bufferedCount,
      batches: w.batchCount,
    };
  }
}
