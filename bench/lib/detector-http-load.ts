// Worker process: closed-loop HTTP clients against one of the detector-http bench servers, for
// a fixed time per call, so the load generator never shares the servers' event loops.
import { randomBytes } from 'node:crypto';
import { UNROUTED_PATH } from './detector-http-servers.ts';
import { LoopbackClient } from './http-client.ts';
import type { BenchAccount } from './login-load.ts';
import { SourceAddressPool } from './net.ts';
import { encodeJsonPost, RawFloodClient } from './raw-http-client.ts';
import { bump } from './stats.ts';
import { serveWorker } from './worker.ts';

/** What one closed-loop request stream sends. */
export type DetectorHttpKind =
  /** `POST /api/auth/login`, correct password (argon2id verify, 200). */
  | 'login-ok'
  /** `POST /api/auth/refresh` with a token the server never issued (one DB lookup, 401). */
  | 'refresh-unknown'
  /** `POST /api/auth/login` with an email that fails validation after the precheck (400). */
  | 'login-malformed'
  /** `POST /api/auth/login` from one fixed source address (blocked: 429). */
  | 'flood-login'
  /** `POST /bench/blocked` (bare 429) from the same fixed source address. */
  | 'flood-bare'
  /** The flood-login bytes POSTed to an unrouted path of the same length (404). */
  | 'flood-unrouted';

/** One measuring call. */
export interface DetectorHttpMeasure {
  readonly baseUrl: string;
  readonly kind: DetectorHttpKind;
  readonly seconds: number;
  readonly concurrency: number;
  /** Second octet of the source addresses (see SourceAddressPool). */
  readonly addressBlock: number;
  readonly accounts?: readonly BenchAccount[];
}

/** What one measuring call counted. */
export interface DetectorHttpSlice {
  readonly requests: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly statuses: Record<string, number>;
  /** CPU this generator used in the slice. */
  readonly cpuSeconds: number;
}

const pools = new Map<number, SourceAddressPool>();

/** One pool per block for the whole process: no address is reused across slices. */
function sharedPool(block: number): SourceAddressPool {
  let pool = pools.get(block);
  if (!pool) {
    pool = new SourceAddressPool(block);
    pools.set(block, pool);
  }
  return pool;
}

let sequence = 0;

/** Made-up refresh tokens shaped like real ones, so each costs the tag check a real one costs. */
const UNKNOWN_TOKENS = Array.from(
  { length: 1024 },
  () => `${randomBytes(32).toString('base64url')}.${randomBytes(16).toString('base64url')}`,
);

function requestOf(
  kind: DetectorHttpKind,
  accounts: readonly BenchAccount[],
): { path: string; body: unknown } {
  const n = sequence++;
  switch (kind) {
    case 'login-ok': {
      const account = accounts[n % Math.max(1, accounts.length)];
      if (!account) throw new Error('login-ok needs accounts');
      return { path: '/api/auth/login', body: account };
    }
    case 'refresh-unknown':
      return {
        path: '/api/auth/refresh',
        body: { refreshToken: UNKNOWN_TOKENS[n % UNKNOWN_TOKENS.length] },
      };
    case 'login-malformed':
      return {
        path: '/api/auth/login',
        body: { email: `bench-${n % 64}-not-an-email`, password: 'Bench-password-1' },
      };
    case 'flood-login':
      return {
        path: '/api/auth/login',
        body: { email: `flood-${n % 64}@example.com`, password: 'Bench-password-1' },
      };
    case 'flood-bare':
      return {
        path: '/bench/blocked',
        body: { email: `flood-${n % 64}@example.com`, password: 'Bench-password-1' },
      };
    case 'flood-unrouted':
      return {
        path: UNROUTED_PATH,
        body: { email: `flood-${n % 64}@example.com`, password: 'Bench-password-1' },
      };
  }
}

async function measure(input: DetectorHttpMeasure): Promise<DetectorHttpSlice> {
  const accounts = input.accounts ?? [];
  const statuses: Record<string, number> = {};
  let requests = 0;
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const deadline = start + input.seconds * 1000;
  const count = (status: number | string) => {
    bump(statuses, status);
    if (typeof status === 'number') requests++;
  };
  const client = input.kind.startsWith('flood') ? floodClient : namedClient;
  await Promise.all(
    Array.from({ length: input.concurrency }, () => client(input, accounts, deadline, count)),
  );
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    requests,
    seconds,
    perSecond: requests / seconds,
    statuses,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

type Count = (status: number | string) => void;

/** A node:http client per virtual user, a new source address every 40 requests. */
async function namedClient(
  input: DetectorHttpMeasure,
  accounts: readonly BenchAccount[],
  deadline: number,
  count: Count,
): Promise<void> {
  const client = new LoopbackClient(input.baseUrl, {
    pool: sharedPool(input.addressBlock),
    requestsPerAddress: 40,
  });
  try {
    while (performance.now() < deadline) {
      const { path, body } = requestOf(input.kind, accounts);
      try {
        count((await client.send('POST', path, body)).status);
      } catch {
        count('error');
        client.close();
      }
    }
  } finally {
    client.close();
  }
}

/**
 * A flood: every client sends from the first address of the block, over one raw keep-alive
 * socket with pre-encoded requests, so the server's cost sets the rate (as with autocannon).
 */
async function floodClient(
  input: DetectorHttpMeasure,
  accounts: readonly BenchAccount[],
  deadline: number,
  count: Count,
): Promise<void> {
  const address = new SourceAddressPool(input.addressBlock).next();
  const host = new URL(input.baseUrl).host;
  const encoded = Array.from({ length: 64 }, () => {
    const { path, body } = requestOf(input.kind, accounts);
    return encodeJsonPost(host, path, body);
  });
  let client: RawFloodClient | null = null;
  try {
    for (let i = 0; performance.now() < deadline; i++) {
      try {
        client ??= await RawFloodClient.open(input.baseUrl, address);
        count(await client.send(encoded[i % encoded.length] as Buffer));
      } catch {
        count('error');
        client?.close();
        client = null;
      }
    }
  } finally {
    client?.close();
  }
}

serveWorker({ measure });
