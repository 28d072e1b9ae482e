import type {
  AccountPrecheckInput,
  AccountPrecheckResult,
  AccountRecordInput,
  AccountRecordResult,
  BlockRecord,
  CounterStore,
  IpCounters,
  IpPeekInput,
  IpPrecheckInput,
  IpPrecheckResult,
  IpRecordInput,
  IpRecordResult,
  RefreshCountInput,
  ReputationInput,
  ReputationScore,
  SetBlockInput,
} from '../store/index.ts';
import { Serial } from './serial.ts';

/** Where blocks are kept beyond the process (the `BlockRepository`). Times in epoch ms. */
export interface BlockJournal {
  save(block: BlockRecord, now: number): Promise<unknown>;
  /** False when no active block of `ipKey` was kept. */
  lift(ipKey: string, now: number): Promise<boolean>;
}

/**
 * A `CounterStore` (the in-process one, in the embedded mode) whose blocks are also written to
 * a journal: blocks set by hand are written before the call returns; blocks a rule creates are
 * written in the background (the request that tripped the rule does not wait). Requests that
 * meet an existing block never touch the journal.
 */
export class PersistedBlockStore implements CounterStore {
  readonly #inner: CounterStore;
  readonly #journal: BlockJournal;
  readonly #onError: (error: unknown) => void;
  readonly #serial: Serial;

  /**
   * `onError` hears background writes that failed (the block still holds in this process).
   * `serial` is shared with the BlockSync over `inner`: a block or unblock by hand and a poll
   * never interleave, so a poll that read a block before it was lifted cannot put it back.
   */
  constructor(
    inner: CounterStore,
    journal: BlockJournal,
    onError: (error: unknown) => void,
    serial: Serial = new Serial(),
  ) {
    this.#inner = inner;
    this.#journal = journal;
    this.#onError = onError;
    this.#serial = serial;
  }

  /** See `CounterStore.precheckIp`; a block it creates is journaled in the background. */
  precheckIp(input: IpPrecheckInput): Promise<IpPrecheckResult> {
    return this.#inner.precheckIp(input).then((result) => {
      if (result.isBlockCreated && result.block !== null) this.#keep(result.block, input.now);
      return result;
    });
  }

  /** See `CounterStore.recordIp`; a block it creates is journaled in the background. */
  async recordIp(input: IpRecordInput): Promise<IpRecordResult> {
    const result = await this.#inner.recordIp(input);
    if (result.block !== null) this.#keep(result.block, input.now);
    return result;
  }

  /** See `CounterStore.precheckAccount`. */
  precheckAccount(input: AccountPrecheckInput): Promise<AccountPrecheckResult> {
    return this.#inner.precheckAccount(input);
  }

  /** See `ReputationStore`. */
  addReputation(input: ReputationInput): Promise<ReputationScore> {
    return this.#inner.addReputation(input);
  }

  getReputation(ipKey: string, now: number, halfLifeMs: number): Promise<ReputationScore> {
    return this.#inner.getReputation(ipKey, now, halfLifeMs);
  }

  isReputationAtLeast(ipKey: string, threshold: number, now: number): boolean {
    return this.#inner.isReputationAtLeast(ipKey, threshold, now);
  }

  /** See `CounterStore.peekIp`. */
  peekIp(input: IpPeekInput): Promise<IpCounters> {
    return this.#inner.peekIp(input);
  }

  /** See `CounterStore.isSurelyUnthrottled`. */
  isSurelyUnthrottled(account: string, now: number): boolean {
    return this.#inner.isSurelyUnthrottled(account, now);
  }

  /** See `CounterStore.recordAccount`. */
  recordAccount(input: AccountRecordInput): Promise<AccountRecordResult> {
    return this.#inner.recordAccount(input);
  }

  /** See `CounterStore.countRefresh`. */
  countRefresh(input: RefreshCountInput): Promise<number> {
    return this.#inner.countRefresh(input);
  }

  /** See `CounterStore.getBlock`. */
  getBlock(ipKey: string, now: number): Promise<BlockRecord | null> {
    return this.#inner.getBlock(ipKey, now);
  }

  /** See `CounterStore.listBlocks`. */
  listBlocks(now: number): Promise<BlockRecord[]> {
    return this.#inner.listBlocks(now);
  }

  /** See `CounterStore.countBlocks`. */
  countBlocks(now: number): Promise<number> {
    return this.#inner.countBlocks(now);
  }

  /** See `CounterStore.setBlock`; resolves once the journal has it too. */
  setBlock(input: SetBlockInput): Promise<BlockRecord> {
    return this.#serial.run(async () => {
      const block = await this.#inner.setBlock(input);
      await this.#journal.save(block, input.now);
      return block;
    });
  }

  /** See `CounterStore.unblock`; true when either this process or the journal had the block. */
  unblock(ipKey: string, now: number): Promise<boolean> {
    return this.#serial.run(async () => {
      const wasActive = await this.#inner.unblock(ipKey, now);
      const wasKept = await this.#journal.lift(ipKey, now);
      return wasActive || wasKept;
    });
  }

  /** See `CounterStore.ping`. */
  ping(): Promise<void> {
    return this.#inner.ping();
  }

  #keep(block: BlockRecord, now: number): void {
    this.#journal.save(block, now).catch(this.#onError);
  }
}
