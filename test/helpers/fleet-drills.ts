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
