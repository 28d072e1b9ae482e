import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { LoopbackClient } from './http-client.ts';
import { SourceAddressPool } from './net.ts';
import type { LatencySummary } from './stats.ts';
import { WorkerHandle } from './worker.ts';

/** An account that exists on the server, with its correct password. */
export interface BenchAccount {
  readonly email: string;
  readonly password: string;
}

/** What the login-load worker runs. */
export interface LoginLoadConfig {
  readonly baseUrl: string;
  readonly accounts: readonly BenchAccount[];
  /** Concurrent closed-loop clients (virtual users). */
  readonly concurrency: number;
  /** Second octet of the loopback source addresses this worker uses (see SourceAddressPool). */
  readonly addressBlock: number;
}

/** Successful logins counted in one measuring slice. */
export interface LoginSlice {
  readonly ok: number;
  readonly seconds: number;
}

/** What the login-load worker counted while measuring was on. */
export interface LoginLoadResult {
  /** Logins answered 200 while measuring. */
  readonly ok: number;
  /** Seconds measuring was on, in total. */
  readonly seconds: number;
  readonly perSecond: number;
  /** Every answer while measuring, by status (`error` = transport failure). */
  readonly statuses: Record<string, number>;
  readonly transportErrors: number;
  /** Latency of successful logins, ms. */
  readonly latency: LatencySummary;
  /** CPU the load generator itself used while measuring. */
  readonly generatorCpuSeconds: number;
}

/**
 * Signs up `count` accounts (one per virtual user, so no account sees the whole load) from
 * loopback addresses in `addressBlock`. Throws unless every signup answers 201.
 */
export async function createAccounts(
  baseUrl: string,
  count: number,
  addressBlock: number,
): Promise<BenchAccount[]> {
  const pool = new SourceAddressPool(addressBlock);
  const run = randomBytes(4).toString('hex');
  const accounts = Array.from({ length: count }, (_, i) => ({
    email: `bench-${run}-${i}@example.com`,
    password: `Bench!${randomBytes(12).toString('base64url')}`,
  }));
  const lanes = 4;
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      const client = new LoopbackClient(baseUrl, { pool });
      try {
        for (let i = lane; i < accounts.length; i += lanes) {
          const account = accounts[i];
          if (!account) continue;
          const answer = await client.send('POST', '/api/auth/signup', {
            ...account,
            name: `Bench User ${i}`,
          });
          if (answer.status !== 201) {
            throw new Error(`signup answered ${answer.status}: ${answer.body.slice(0, 300)}`);
          }
        }
      } finally {
        client.close();
      }
    }),
  );
  return accounts;
}

/**
 * Closed-loop successful logins from a separate process. Clients start at once; only answers
 * that arrive while measuring is on are counted.
 */
export class LoginLoad {
  readonly #worker: WorkerHandle;

  private constructor(worker: WorkerHandle) {
    this.#worker = worker;
  }

  /** Starts the worker process and its clients. */
  static async start(config: LoginLoadConfig): Promise<LoginLoad> {
    const worker = WorkerHandle.start(join(import.meta.dirname, 'login-load-worker.ts'));
    try {
      await worker.call('start', config);
    } catch (error) {
      await worker.close();
      throw error;
    }
    return new LoginLoad(worker);
  }

  measureOn(): Promise<void> {
    return this.#worker.call('measureOn');
  }

  /** Ends the measuring slice; null if measuring was off. */
  measureOff(): Promise<LoginSlice | null> {
    return this.#worker.call('measureOff');
  }

  /** Stops measuring and sending; resolves when no login is in flight any more. */
  pause(): Promise<void> {
    return this.#worker.call('pause');
  }

  resume(): Promise<void> {
    return this.#worker.call('resume');
  }

  /** Stops the clients and the worker; resolves with what was counted. */
  async stop(): Promise<LoginLoadResult> {
    try {
      return await this.#worker.call<LoginLoadResult>('stop');
    } finally {
      await this.#worker.close();
    }
  }

  /** Ends the worker without a report (error paths). */
  close(): Promise<void> {
    return this.#worker.close();
  }
}
