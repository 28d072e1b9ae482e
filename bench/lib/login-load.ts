import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { LoopbackClient } from './http-client.ts';
import { SourceAddressPool } from './net.ts';
import type { LatencySummary } from './stats.ts';
import { runWorker } from './worker.ts';

/** An account that exists on the server, with its correct password. */
export interface BenchAccount {
  readonly email: string;
  readonly password: string;
}

/** Input of the login-load worker. */
export interface LoginLoadInput {
  readonly baseUrl: string;
  readonly accounts: readonly BenchAccount[];
  /** Concurrent closed-loop clients (virtual users). */
  readonly concurrency: number;
  readonly warmupSeconds: number;
  readonly measureSeconds: number;
  /** Second octet of the loopback source addresses this worker uses (see SourceAddressPool). */
  readonly addressBlock: number;
}

/** What the login-load worker measured during its window (after the warm-up). */
export interface LoginLoadResult {
  /** Logins answered 200 in the window. */
  readonly ok: number;
  readonly seconds: number;
  readonly perSecond: number;
  /** Every answer in the window by status (`error` = transport failure). */
  readonly statuses: Record<string, number>;
  readonly transportErrors: number;
  /** Latency of successful logins, ms. */
  readonly latency: LatencySummary;
  /** CPU the load generator itself used during the window. */
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
 * Runs closed-loop successful logins in a separate process. `onMeasuring` is called when the
 * warm-up ends and the measured window starts.
 */
export function runLoginLoad(
  input: LoginLoadInput,
  onMeasuring?: () => void,
): Promise<LoginLoadResult> {
  return runWorker<LoginLoadInput, LoginLoadResult>(
    join(import.meta.dirname, 'login-load-worker.ts'),
    input,
    (name) => {
      if (name === 'measuring') onMeasuring?.();
    },
  );
}
