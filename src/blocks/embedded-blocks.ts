import type { Kysely } from 'kysely';
import type { Database } from '../db/index.ts';
import { type CounterStore, MemoryCounterStore } from '../store/index.ts';
import { BlockRepository } from './block-repository.ts';
import { BlockSync } from './block-sync.ts';
import { PersistedBlockStore } from './persisted-block-store.ts';
import { Serial } from './serial.ts';

/** The embedded mode's detection store, with its blocks kept in the database. */
export interface EmbeddedBlocks {
  /** The in-process store whose blocks are written to the database. */
  readonly store: CounterStore;
  /** The sync that loads blocks from the database into `store` (call `start` or `catchUp`). */
  createSync(onLifted: (ipKey: string) => void): BlockSync;
}

/** Composes the in-process store, the `ip_blocks` journal and the sync over one database. */
export function createEmbeddedBlocks(options: {
  readonly db: Kysely<Database>;
  readonly clock: () => number;
  /** Failed background writes and polls (the process keeps its own blocks meanwhile). */
  readonly onError: (error: unknown) => void;
}): EmbeddedBlocks {
  const memory = new MemoryCounterStore();
  const repository = new BlockRepository(options.db);
  const serial = new Serial();
  return {
    store: new PersistedBlockStore(memory, repository, options.onError, serial),
    createSync: (onLifted) =>
      new BlockSync({
        repository,
        store: memory,
        onLifted,
        clock: options.clock,
        onError: options.onError,
        serial,
      }),
  };
}
