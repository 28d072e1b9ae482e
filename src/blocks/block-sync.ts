import type { BlockRecord, CounterStore } from '../store/index.ts';
import type { BlockChanges } from './block-repository.ts';
import { Serial } from './serial.ts';

/** Options of `BlockSync`. Times are epoch ms. */
export interface BlockSyncOptions {
  readonly repository: { changesSince(version: number): Promise<BlockChanges> };
  /** The in-process store the detector reads (not the journaling wrapper: no write-back). */
  readonly store: CounterStore;
  /** A block was lifted elsewhere: drop any copy cached in front of the store. */
  readonly onLifted: (ipKey: string) => void;
  readonly clock: () => number;
  readonly onError: (error: unknown) => void;
  /** How often the database is asked for changes. Default 500. */
  readonly intervalMs?: number;
  /** Shared with the store's blocks and unblocks by hand, so a poll never interleaves with them. */
  readonly serial?: Serial;
}

/** How often a server asks the database for block changes by default (ms). */
export const BLOCK_SYNC_INTERVAL_MS = 500;

/**
 * Brings blocks written by other processes on the same database (the CLI, other instances)
 * into this process's store: on start every active block, then every ~500 ms the rows written
 * since the last poll (one indexed query, usually answering nothing). Requests never wait on it.
 */
export class BlockSync {
  readonly #options: BlockSyncOptions;
  #version = 0;
  #timer: NodeJS.Timeout | null = null;
  #polling: Promise<void> | null = null;
  readonly #serial: Serial;

  constructor(options: BlockSyncOptions) {
    this.#options = options;
    this.#serial = options.serial ?? new Serial();
  }

  /** Loads every active block, then polls until `stop`. Rejects when the first load fails. */
  async start(): Promise<void> {
    await this.catchUp();
    this.#timer = setInterval(() => {
      this.#polling ??= this.catchUp()
        .catch(this.#options.onError)
        .finally(() => {
          this.#polling = null;
        });
    }, this.#options.intervalMs ?? BLOCK_SYNC_INTERVAL_MS);
    this.#timer.unref();
  }

  /** Applies every change written since the last call (all active blocks on the first). */
  catchUp(): Promise<void> {
    return this.#serial.run(async () => {
      const changes = await this.#options.repository.changesSince(this.#version);
      const now = this.#options.clock();
      for (const block of changes.blocks) await this.#apply(block, now);
      this.#version = changes.version;
    });
  }

  /** Stops polling and waits for a poll in flight. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#polling;
  }

  async #apply(block: BlockRecord, now: number): Promise<void> {
    const { store } = this.#options;
    if (block.expiresAt > now) {
      await store.setBlock({
        ipKey: block.ipKey,
        rule: block.rule,
        reason: block.reason,
        evidence: block.evidence,
        now: block.createdAt,
        blockMs: block.expiresAt - block.createdAt,
        manual: block.manual,
      });
      return;
    }
    // A lift ends this block or an older one, never one this process created since.
    const current = await store.getBlock(block.ipKey, now);
    if (current === null || current.createdAt > block.createdAt) return;
    await store.unblock(block.ipKey, now);
    this.#options.onLifted(block.ipKey);
  }
}
