import type { DatabaseHandle } from '../../src/db/index.ts';
import { AttackClient, type AttackResponse } from './attack-client.ts';
import { sleep } from './attack-stores.ts';

/** Anything with a base URL: a `ServerProcess` or a listening `TestService`. */
export interface HasUrl {
  readonly url: string;
}

/** The detection store's part of `/ready`. */
export interface StoreReadiness {
  readonly status: string;
  readonly instances?: number;
}

const probeClient = new AttackClient('127.0.0.1', { keepAlive: false });

/** `GET /ready`'s detection store state of one server. */
export async function storeReadiness(server: HasUrl): Promise<StoreReadiness> {
  const res = await probeClient.get(`${server.url}/ready`);
  const body = res.body as { dependencies?: { detectionStore?: StoreReadiness } } | null;
  const state = body?.dependencies?.detectionStore;
  if (state === undefined) throw new Error(`/ready answered ${res.status} without detectionStore`);
  return state;
}

/**
 * Polls `/ready` of every server until `isDone` holds for all of them; rejects after
 * `timeoutMs` with the last states (a generous "nothing hangs" bound, never a speed check).
 */
export async function waitForStores(
  servers: readonly HasUrl[],
  isDone: (state: StoreReadiness) => boolean,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let states: StoreReadiness[] = [];
  while (Date.now() < deadline) {
    states = await Promise.all(servers.map(storeReadiness));
    if (states.every(isDone)) return;
    await sleep(50);
  }
  throw new Error(
    `detection stores not as expected after ${timeoutMs} ms: ${JSON.stringify(states)}`,
  );
}

/** Waits until every server counts on Redis and has learned a fleet of `size`. */
export function waitForFleetOnRedis(servers: readonly HasUrl[], size: number): Promise<void> {
  return waitForStores(servers, (s) => s.status === 'ok' && s.instances === size);
}

/** `security_events` of `type` (flush first: a server's audit buffer writes every 250 ms). */
export async function eventTimes(database: DatabaseHandle, type: string): Promise<number[]> {
  const rows = await database.db
    .selectFrom('security_events')
    .select('created_at')
    .where('type', '=', type)
    .execute();
  return rows.map((row) => Number(row.created_at)).sort((a, b) => a - b);
}

/** The `details` of every `security_events` row of `type` (for a failing test's message). */
export async function eventDetails(database: DatabaseHandle, type: string): Promise<string[]> {
  const rows = await database.db
    .selectFrom('security_events')
    .select('details')
    .where('type', '=', type)
    .execute();
  return rows.map((row) => row.details);
}

/**
 * `count` concurrent POSTs of `body(i)` to `path`, spread round-robin over `servers`, all
 * from `client`'s address. Resolves with every answer, in request order.
 */
export function burst(
  client: AttackClient,
  servers: readonly HasUrl[],
  count: number,
  path: string,
  body: (i: number) => unknown,
): Promise<AttackResponse[]> {
  return Promise.all(
    Array.from({ length: count }, (_, i) => {
      const server = servers[i % servers.length] as HasUrl;
      return client.post(`${server.url}${path}`, body(i));
    }),
  );
}

/** One answer of a `LoginLoad`, with when it was sent (epoch ms) and how long it took. */
export interface LoadResponse {
  readonly status: number;
  readonly sentAt: number;
  readonly ms: number;
}

/**
 * Steady credential traffic over `servers` until `stop`: `workers` loops, each sending one
 * login at a time with a malformed email (counted by the detector, so every request meets the
 * store, but never hashed), from addresses `127.<block>.<worker>.<n>` that change every 20
 * requests so the bot rule never turns the load into cached blocks. Errors count as status 0.
 */
export class LoginLoad {
  readonly #responses: LoadResponse[] = [];
  readonly #loops: Promise<void>[];
  #isRunning = true;

  /** Starts at once. `block` (1-255) keeps one drill's addresses apart from another's. */
  constructor(servers: readonly HasUrl[], options: { workers: number; block: number }) {
    this.#loops = Array.from({ length: options.workers }, (_, worker) =>
      this.#loop(servers, options.block, worker),
    );
  }

  /** Answers so far. */
  get responses(): readonly LoadResponse[] {
    return this.#responses;
  }

  /** Stops sending and resolves once every request in flight has been answered. */
  async stop(): Promise<readonly LoadResponse[]> {
    this.#isRunning = false;
    await Promise.all(this.#loops);
    return this.#responses;
  }

  async #loop(servers: readonly HasUrl[], block: number, worker: number): Promise<void> {
    for (let i = 0; this.#isRunning; i += 1) {
      const address = `127.${block}.${worker + 1}.${(Math.floor(i / 20) % 250) + 1}`;
      const client = new AttackClient(address, { keepAlive: false });
      const server = servers[(worker + i) % servers.length] as HasUrl;
      const sentAt = Date.now();
      const started = performance.now();
      let status = 0;
      try {
        const body = { email: `not an email ${i}`, password: 'whatever password' };
        status = (await client.post(`${server.url}/api/auth/login`, body)).status;
      } catch {
        // A refused or reset connection is a failure the drill reports as status 0.
      }
      this.#responses.push({ status, sentAt, ms: performance.now() - started });
    }
  }
}
