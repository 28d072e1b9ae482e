import type { BlockRecord } from '../counter-store.ts';
import type { RedisClient } from '../redis-client.ts';

/**
 * The fleet's index of active blocks: a sorted set of IP keys scored by expiry. It lives in
 * another slot than the IP keys, so scripts cannot write it: a lost write is trimmed on read.
 */
export class BlockIndex {
  readonly #client: RedisClient;
  readonly #key: string;

  constructor(client: RedisClient, key: string) {
    this.#client = client;
    this.#key = key;
  }

  /** Adds or moves a block, in the background (a created block is already in force). */
  note(block: BlockRecord): void {
    this.#client.zadd(this.#key, block.expiresAt, block.ipKey).catch(() => {});
  }

  /** Adds or moves a block, awaited (an admin's block). */
  async add(block: BlockRecord): Promise<void> {
    await this.#client.zadd(this.#key, block.expiresAt, block.ipKey);
  }

  async remove(ipKey: string): Promise<void> {
    await this.#client.zrem(this.#key, ipKey);
  }

  /** The IP keys of blocks not expired at `now` (trims expired ones first). */
  async live(now: number): Promise<string[]> {
    await this.#client.zremrangebyscore(this.#key, '-inf', now);
    return this.#client.zrange(this.#key, 0, -1);
  }

  /** Drops entries whose block was lifted or replaced by none. */
  async forget(ipKeys: readonly string[]): Promise<void> {
    if (ipKeys.length > 0) await this.#client.zrem(this.#key, ...ipKeys);
  }

  /** Blocks whose expiry is past `now`: an unblock removes its entry, a replaced one moves. */
  count(now: number): Promise<number> {
    return this.#client.zcount(this.#key, `(${now}`, '+inf');
  }
}
