import type {
  CompiledQuery,
  DatabaseConnection,
  Dialect,
  Driver,
  QueryCompiler,
  QueryResult,
  TransactionSettings,
} from 'kysely';
import { isConnectionError } from './connection-errors.ts';
import type { DatabaseAvailability } from './database-availability.ts';

/**
 * Wraps a Kysely dialect so that every database call goes through the availability circuit:
 * while the database is known to be down a call fails at once with a 503 error instead of
 * waiting for a connection, and a call that fails on a connection error rejects with the 503
 * error (the driver error as its cause) and makes the circuit probe. Other errors pass unchanged.
 */
export function withAvailability(dialect: Dialect, availability: DatabaseAvailability): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createDriver: () => new GuardedDriver(dialect.createDriver(), availability),
  };
}

class GuardedConnection implements DatabaseConnection {
  readonly inner: DatabaseConnection;
  readonly #guard: Guard;

  constructor(inner: DatabaseConnection, guard: Guard) {
    this.inner = inner;
    this.#guard = guard;
  }

  executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    return this.#guard(() => this.inner.executeQuery<R>(compiledQuery));
  }

  async *streamQuery<R>(
    compiledQuery: CompiledQuery,
    chunkSize?: number,
  ): AsyncIterableIterator<QueryResult<R>> {
    const iterator = this.inner.streamQuery<R>(compiledQuery, chunkSize);
    while (true) {
      const next = await this.#guard(() => iterator.next());
      if (next.done) return;
      yield next.value;
    }
  }
}

type Guard = <T>(call: () => Promise<T>) => Promise<T>;

// The inner driver gets its own connection objects back: the PostgreSQL driver calls private
// methods on them.
function innerOf(connection: DatabaseConnection): DatabaseConnection {
  return connection instanceof GuardedConnection ? connection.inner : connection;
}

class GuardedDriver implements Driver {
  readonly #inner: Driver;
  readonly #availability: DatabaseAvailability;
  readonly #guard: Guard;

  constructor(inner: Driver, availability: DatabaseAvailability) {
    this.#inner = inner;
    this.#availability = availability;
    this.#guard = async <T>(call: () => Promise<T>): Promise<T> => {
      try {
        return await call();
      } catch (error) {
        if (!isConnectionError(error)) throw error;
        availability.reportConnectionError();
        throw availability.unavailableError(error);
      }
    };
  }

  init(): Promise<void> {
    return this.#inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    // Known down: answer now instead of queueing for a connection that cannot come.
    this.#availability.assertUp();
    const connection = await this.#guard(() => this.#inner.acquireConnection());
    return new GuardedConnection(connection, this.#guard);
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.#guard(() => this.#inner.beginTransaction(innerOf(connection), settings));
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.#guard(() => this.#inner.commitTransaction(innerOf(connection)));
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.#guard(() => this.#inner.rollbackTransaction(innerOf(connection)));
  }

  async savepoint(
    connection: DatabaseConnection,
    savepointName: string,
    compileQuery: QueryCompiler['compileQuery'],
  ): Promise<void> {
    const inner = this.#inner.savepoint?.bind(this.#inner);
    if (inner === undefined) throw new Error('this database driver has no savepoints');
    await this.#guard(() => inner(innerOf(connection), savepointName, compileQuery));
  }

  async rollbackToSavepoint(
    connection: DatabaseConnection,
    savepointName: string,
    compileQuery: QueryCompiler['compileQuery'],
  ): Promise<void> {
    const inner = this.#inner.rollbackToSavepoint?.bind(this.#inner);
    if (inner === undefined) throw new Error('this database driver has no savepoints');
    await this.#guard(() => inner(innerOf(connection), savepointName, compileQuery));
  }

  async releaseSavepoint(
    connection: DatabaseConnection,
    savepointName: string,
    compileQuery: QueryCompiler['compileQuery'],
  ): Promise<void> {
    const inner = this.#inner.releaseSavepoint?.bind(this.#inner);
    if (inner === undefined) throw new Error('this database driver has no savepoints');
    await this.#guard(() => inner(innerOf(connection), savepointName, compileQuery));
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.#inner.releaseConnection(innerOf(connection));
  }

  destroy(): Promise<void> {
    return this.#inner.destroy();
  }
}
