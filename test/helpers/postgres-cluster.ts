import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './attack-redis-server.ts';

const run = promisify(execFile);

/** The PostgreSQL major version the throwaway clusters are created with. */
export const POSTGRES_CLUSTER_VERSION = '15';

// Every cluster this helper makes is named so; nothing else is ever stopped or dropped.
const NAME_PREFIX = 'flux_test_';

/**
 * Why throwaway clusters cannot be made here (tools missing or not allowed), or null when they
 * can. `pg_createcluster` needs root or the postgres user.
 */
export async function postgresClusterUnavailable(): Promise<string | null> {
  try {
    await run('sh', ['-c', 'command -v pg_createcluster pg_ctlcluster pg_dropcluster'], {
      timeout: 10_000,
    });
  } catch (error) {
    return `postgresql-common tools missing (${error instanceof Error ? error.message : String(error)})`;
  }
  const uid = process.getuid?.();
  if (uid !== 0 && process.env.USER !== 'postgres') return 'pg_createcluster needs root';
  return null;
}

/**
 * A PostgreSQL cluster of its own on a free port, made with `pg_createcluster` (trust auth on
 * localhost, no fsync: it is thrown away), for drills that stop and start a database server.
 * Never the shared `main` cluster. Call `drop()` when done, also when the test failed.
 */
export class PostgresCluster {
  readonly name: string;
  readonly port: number;
  #isDropped = false;

  private constructor(name: string, port: number) {
    this.name = name;
    this.port = port;
  }

  /** Creates (not starts) a cluster named `flux_test_<random>` on a free port. */
  static async create(): Promise<PostgresCluster> {
    const name = `${NAME_PREFIX}${randomBytes(5).toString('hex')}`;
    const port = await freePort();
    await run(
      'pg_createcluster',
      [
        POSTGRES_CLUSTER_VERSION,
        name,
        '--port',
        String(port),
        '--start-conf',
        'manual',
        '-o',
        'fsync=off',
        '-o',
        'shared_buffers=16MB',
        '-o',
        'max_connections=40',
        '--',
        '--auth=trust',
      ],
      { timeout: 120_000 },
    );
    return new PostgresCluster(name, port);
  }

  /** `postgres://postgres@127.0.0.1:<port>/<database>`. */
  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** Starts the server and resolves once it answers a query. */
  async start(): Promise<void> {
    await this.#ctl('start');
    await this.#waitUntilAnswering(60_000);
  }

  /** Stops the server the hard way (`-m immediate`): connections drop, as in a crash or failover. */
  async stop(): Promise<void> {
    await this.#ctl('stop', '-m', 'immediate');
  }

  /** Stops (if running) and deletes the cluster. Safe to call twice. */
  async drop(): Promise<void> {
    if (this.#isDropped) return;
    this.#isDropped = true;
    await run('pg_dropcluster', ['--stop', POSTGRES_CLUSTER_VERSION, this.name], {
      timeout: 120_000,
    });
  }

  /** Runs one SQL statement on a fresh connection and returns its rows. */
  async query<Row extends Record<string, unknown>>(
    sql: string,
    database = 'postgres',
  ): Promise<Row[]> {
    const client = new pg.Client({ connectionString: this.url(database) });
    client.on('error', () => {});
    await client.connect();
    try {
      return (await client.query<Row>(sql)).rows;
    } finally {
      await client.end();
    }
  }

  async #ctl(...args: string[]): Promise<void> {
    if (!this.name.startsWith(NAME_PREFIX)) throw new Error(`refusing to touch ${this.name}`);
    const [action, ...rest] = args;
    if (action === undefined) throw new Error('pg_ctlcluster needs an action');
    await run('pg_ctlcluster', [POSTGRES_CLUSTER_VERSION, this.name, action, ...rest], {
      timeout: 120_000,
    });
  }

  async #waitUntilAnswering(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await this.query('select 1');
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }
}
