/** Public surface of blocks kept in the database (the embedded mode, without Redis). */
export {
  BLOCK_ROW_RETENTION_MS,
  type BlockChanges,
  BlockRepository,
} from './block-repository.ts';
export { BLOCK_SYNC_INTERVAL_MS, BlockSync, type BlockSyncOptions } from './block-sync.ts';
export { createEmbeddedBlocks, type EmbeddedBlocks } from './embedded-blocks.ts';
export { type BlockJournal, PersistedBlockStore } from './persisted-block-store.ts';
