import { randomBytes } from 'node:crypto';
import { encodeJsonPost, RawFloodClient } from '../lib/raw-http-client.ts';
import { percentile } from '../lib/stats.ts';
import { type Addresses, BoundClient } from './client.ts';

/** What one workload measured on one stack. */
export interface Measured {
  readonly requests: number;
  readonly seconds: number;
  readonly p99Ms: number;
  readonly statuses: Record<string, number>;
  /** Workload-specific note (e.g. requests per IP until blocked). */
  readonly note?: string;
}

/** A test account, created on the stack before measuring. */
export interface Account {
  readonly email: string;
  readonly password: string;
}

/** A stack under test: its URL and the accounts made on it. */
export interface Stack {
  readonly label: string;
  readonly url: string;
  readonly accounts: readonly Account[];
}

type Step = () => Promise<number>;

/**
 * Runs `users` closed-loop virtual users for `seconds`; `makeUser(i)` gives each its step (one
 * request, resolving with the status) and a cleanup. Latency is measured around each step.
 */
async function closedLoop(
  users: number,
  seconds: number,
  makeUser: (i: number) => Promise<{ step: Step; close: () => void }>,
): Promise<Measured> {
  const made = await Promise.all(Array.from({ length: users }, (_, i) => makeUser(i)));
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    made.map(async ({ step }) => {
      while (performance.now() < deadline) {
        const t = performance.now();
        let status = 0;
        try {
          status = await step();
        } catch {
          // transport error: counted as status 0
        }
        latencies.push(performance.now() - t);
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  for (const user of made) user.close();
  return {
    requests: latencies.length,
    seconds: elapsed,
    p99Ms: percentile(latencies, 99),
    statuses,
  };
}

/** Creates `count` accounts on `url`, each signup from its own address. */
export async function createAccounts(
  url: string,
  count: number,
  addresses: Addresses,
): Promise<Account[]> {
  const accounts: Account[] = [];
  for (let i = 0; i < count; i += 1) {
    const account = {
      email: `bench-${i}-${randomBytes(4).toString('hex')}@example.com`,
      password: `Correct horse battery staple ${randomBytes(6).toString('hex')}`,
    };
    const client = new BoundClient(url, addresses.next());
    const answer = await client.post('/api/auth/signup', { ...account, name: `Bench ${i}` });
    client.close();
    if (answer.status !== 201) throw new Error(`signup on ${url} answered ${answer.status}`);
    accounts.push(account);
  }
  return accounts;
}

/** Correct logins, each user moving to a fresh address every 10 requests (under 50/min). */
export function correctLogins(stack: Stack, addresses: Addresses, seconds: number) {
  return closedLoop(8, seconds, async (i) => {
    const account = stack.accounts[i % stack.accounts.length] as Account;
    let client = new BoundClient(stack.url, addresses.next());
    let sent = 0;
    return {
      step: async () => {
        if (++sent % 10 === 0) {
          client.close();
          client = new BoundClient(stack.url, addresses.next());
        }
        return (await client.post('/api/auth/login', account)).status;
      },
      close: () => client.close(),
    };
  });
}

/**
 * Wrong logins against the stack's accounts from fresh addresses, each until its first 429;
 * notes requests per address. flux-auth's account guard soon throttles those accounts for
 * addresses never seen in a success (credential stuffing, SPEC §3): its 429s then come first.
 */
export async function wrongUntilBlocked(stack: Stack, addresses: Addresses, seconds: number) {
  const perAddress: number[] = [];
  const measured = await closedLoop(8, seconds, async (i) => {
    const account = stack.accounts[i % stack.accounts.length] as Account;
    let client = new BoundClient(stack.url, addresses.next());
    let sent = 0;
    return {
      step: async () => {
        sent += 1;
        const body = { email: account.email, password: 'wrong password guess' };
        const { status } = await client.post('/api/auth/login', body);
        if (status === 429) {
          perAddress.push(sent);
          sent = 0;
          client.close();
          client = new BoundClient(stack.url, addresses.next());
        }
        return status;
      },
      close: () => client.close(),
    };
  });
  const mean = perAddress.reduce((a, b) => a + b, 0) / Math.max(1, perAddress.length);
  return {
    ...measured,
    note: `${perAddress.length} IPs blocked after ${mean.toFixed(1)} requests each`,
  };
}

/** One address blocked first (wrong logins until 429), then flooded on 16 raw connections. */
export async function blockedFlood(stack: Stack, addresses: Addresses, seconds: number) {
  const address = addresses.next();
  const host = new URL(stack.url).host;
  const account = stack.accounts[0] as Account;
  const wrong = encodeJsonPost(host, '/api/auth/login', {
    email: account.email,
    password: 'x'.repeat(12),
  });
  const blocker = await RawFloodClient.open(stack.url, address);
  for (let i = 0; i < 20 && (await blocker.send(wrong)) !== 429; i += 1);
  blocker.close();
  return closedLoop(16, seconds, async () => {
    const client = await RawFloodClient.open(stack.url, address);
    return { step: () => client.send(wrong), close: () => client.close() };
  });
}

/** Refresh-token rotation: each user logs in once, then refreshes with each new token. */
export function refreshes(stack: Stack, addresses: Addresses, seconds: number) {
  return closedLoop(8, seconds, async (i) => {
    const account = stack.accounts[i % stack.accounts.length] as Account;
    const client = new BoundClient(stack.url, addresses.next());
    let token = (await client.post('/api/auth/login', account)).body?.refreshToken;
    return {
      step: async () => {
        const answer = await client.post('/api/auth/refresh', { refreshToken: token });
        if (answer.status === 200) token = answer.body.refreshToken;
        return answer.status;
      },
      close: () => client.close(),
    };
  });
}
