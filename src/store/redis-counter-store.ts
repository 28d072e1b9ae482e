import { randomBytes } from 'node:crypto';
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
} from './counter-store.ts';
import { DEFAULT_PENDING_TTL_MS } from './counter-store.ts';
import {
  COUNT_REFRESH,
  PRECHECK_ACCOUNT,
  PRECHECK_COUNT_RADIX,
  RECORD_ACCOUNT,
  RECORD_IP,
  SET_BLOCK,
  UNBLOCK,
} from './lua/index.ts';
import { BlockIndex } from './redis/block-index.ts';
import { blockOfState, countersOfState } from './redis/ip-state.ts';
import { PrecheckScripts } from './redis/precheck-scripts.ts';
import {
  asArray,
  decodeAccountRecord,
  decodeBlock,
  decodePrecheck,
  flag,
  num,
  slotAccount,
} from './redis/replies.ts';
import { RedisReputation } from './redis/reputation.ts';
import {
  isNoScript,
  isSyntaxError,
  runScript,
  type Script,
  script,
} from './redis/script-runner.ts';
import { ThrottleDirectory } from './redis/throttle-directory.ts';
import { pingRedis, type RedisClient } from './redis-client.ts';
import { BLOCK_REASONS } from './rule-thresholds.ts';

/** Options of `RedisCounterStore`. `keyPrefix` must not contain `{` (hash tags follow it). */
export interface RedisCounterStoreOptions {
  /** Default `fa:`; tests use a random prefix to isolate their keys. */
  readonly keyPrefix?: string;
  /** Entries kept per window and key; 1 to 65,535 (default 1000). */
  readonly maxEntriesPerKey?: number;
  readonly pendingTtlMs?: number;
  /**
   * How stale (ms) this instance's copy of the throttled-account directory may get before a
   * precheck with `onlyIfThrottled` waits for a fresh one. Default 1000.
   */
  readonly throttleCacheMs?: number;
  /** Above this many throttled accounts every such precheck reads the account. Default 10,000. */
  readonly maxCachedThrottles?: number;
  /**
   * Write a fresh IP with one `SET … NX GET` (Redis 7.0+) instead of GET then SET. Default
   * true; on an older Redis the store turns it off by itself at the first syntax error.
   */
  readonly setNxGet?: boolean;
  /** Monotonic clock (ms) of the throttle directory's age; default `performance.now`. */
  readonly monotonic?: () => number;
}

const SCRIPTS = {
  recordIp: script(RECORD_IP),
  setBlock: script(SET_BLOCK),
  unblock: script(UNBLOCK),
  precheckAccount: script(PRECHECK_ACCOUNT),
  recordAccount: script(RECORD_ACCOUNT),
  countRefresh: script(COUNT_REFRESH),
} as const;

/**
 * `CounterStore` on Redis (standalone or Cluster, ioredis 5). Each operation is one Lua
 * script (EVALSHA, EVAL on NOSCRIPT) over keys of one hash tag: `fa:{ip:1.2.3.4}:s`.
 * Creating or lifting a block also updates the block index (another slot) in the background.
 */
export class RedisCounterStore implements CounterStore {
  readonly #client: RedisClient;
  readonly #prefix: string;
  readonly #maxEntries: number;
  readonly #pendingTtlMs: number;
  readonly #instance = randomBytes(6).toString('base64url');
  readonly #precheckScripts: PrecheckScripts;
  readonly #throttles: ThrottleDirectory;
  readonly #index: BlockIndex;
  readonly #reputation: RedisReputation;
  #sequence = 0;

  /** Throws when `keyPrefix` contains a brace (it would break the hash tags). */
  constructor(client: RedisClient, options: RedisCounterStoreOptions = {}) {
    const prefix = options.keyPrefix ?? 'fa:';
    if (prefix.includes('{') || prefix.includes('}')) {
      throw new Error(`Redis key prefix must not contain braces: ${prefix}`);
    }
    this.#client = client;
    this.#prefix = prefix;
    const maxEntries = options.maxEntriesPerKey ?? 1000;
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1 || maxEntries >= PRECHECK_COUNT_RADIX) {
      throw new RangeError(`maxEntriesPerKey must be an integer from 1 to 65535: ${maxEntries}`);
    }
    this.#maxEntries = maxEntries;
    this.#pendingTtlMs = options.pendingTtlMs ?? DEFAULT_PENDING_TTL_MS;
    this.#precheckScripts = new PrecheckScripts({
      pendingTtlMs: this.#pendingTtlMs,
      maxEntries,
      setNxGet: options.setNxGet ?? true,
    });
    this.#throttles = new ThrottleDirectory({
      client,
      key: `${prefix}throttled`,
      maxAgeMs: options.throttleCacheMs ?? 1000,
      maxEntries: options.maxCachedThrottles ?? 10_000,
      monotonic: options.monotonic,
    });
    this.#index = new BlockIndex(client, `${prefix}blocks`);
    this.#reputation = new RedisReputation(client, prefix, {
      maxAgeMs: options.throttleCacheMs ?? 1000,
      maxEntries: options.maxCachedThrottles ?? 10_000,
      monotonic: options.monotonic,
    });
  }

  /** The key prefix, e.g. for a test's cleanup (`SCAN MATCH prefix*`). */
  get keyPrefix(): string {
    return this.#prefix;
  }

  /** See `CounterStore.precheckIp`. */
  precheckIp(input: IpPrecheckInput): Promise<IpPrecheckResult> {
    let s: Script;
    let args: [string, string, string, string, string];
    let reservation: string;
    try {
      s = this.#precheckScripts.get(input.botActivity, input.bruteForce);
      reservation = input.account === null ? '' : this.#nextId();
      args = [
        this.#ipKey(input.ipKey),
        String(input.now),
        reservation,
        input.account === null ? '' : slotAccount(input.account),
        input.isExempt ? '1' : '0',
      ];
    } catch (error) {
      return Promise.reject(error);
    }
    // Not `async`: one `then` on the client's promise instead of two async frames. The
    // callbacks stay inline: a named closure gets a `__name` call per request under tsx.
    return this.#client.evalsha(s.sha, 1, ...args).then(
      (reply: unknown) => this.#precheckResult(input.ipKey, reservation, reply),
      (error: unknown) => this.#precheckRetry(error, input, s, args, reservation),
    );
  }

  /**
   * After a Redis restart or failover the script cache is empty: EVAL once. A Redis older
   * than 7.0 rejects `SET … NX GET` as a syntax error (before the script wrote anything):
   * from then on this store reads before it writes.
   */
  async #precheckRetry(
    error: unknown,
    input: IpPrecheckInput,
    s: Script,
    args: readonly string[],
    reservation: string,
  ): Promise<IpPrecheckResult> {
    try {
      if (!isNoScript(error)) throw error;
      const reply = await this.#client.eval(s.lua, 1, ...args);
      return this.#precheckResult(input.ipKey, reservation, reply);
    } catch (failure) {
      // Decided by the script that failed, not the store's current choice: calls already in
      // flight with the NX GET script when the first one switched must retry too.
      if (s.usesSetNxGet !== true || !isSyntaxError(failure)) throw failure;
      this.#precheckScripts.disableSetNxGet();
      return this.precheckIp(input);
    }
  }

  #precheckResult(ipKey: string, reservation: string, reply: unknown): IpPrecheckResult {
    const result = decodePrecheck(ipKey, reservation, reply);
    if (result.isBlockCreated && result.block !== null) this.#index.note(result.block);
    return result;
  }

  /** See `CounterStore.recordIp`. */
  async recordIp(input: IpRecordInput): Promise<IpRecordResult> {
    const bf = input.bruteForce;
    const reply = await runScript(
      this.#client,
      SCRIPTS.recordIp,
      [this.#ipKey(input.ipKey)],
      [
        input.now,
        input.reservation ?? '',
        input.outcome,
        slotAccount(input.account),
        this.#nextId(),
        bf.limit,
        bf.windowMs,
        bf.blockMs,
        flag(bf.isEnforced),
        flag(input.isExempt),
        this.#pendingTtlMs,
        this.#maxEntries,
        BLOCK_REASONS.brute_force,
      ],
    );
    const fields = asArray(reply);
    const block = fields.length > 3 ? decodeBlock(input.ipKey, fields, 3) : null;
    if (block !== null) this.#index.note(block);
    return {
      failures: num(fields[0]),
      cleared: num(fields[1]),
      isMonitored: num(fields[2]) === 1,
      block,
    };
  }

  /** See `CounterStore.isSurelyUnthrottled` and `ThrottleDirectory`. */
  isSurelyUnthrottled(account: string, now: number): boolean {
    return this.#throttles.isSurelyUnthrottled(account, now);
  }

  /** See `CounterStore.precheckAccount`. */
  async precheckAccount(input: AccountPrecheckInput): Promise<AccountPrecheckResult> {
    if (input.onlyIfThrottled === true) {
      if (await this.#throttles.isUnthrottled(input.account, input.now)) return NOT_THROTTLED;
    }
    const keys = this.#accountKeys(input.account).slice(0, 4);
    const reply = await runScript(this.#client, SCRIPTS.precheckAccount, keys, [
      input.now,
      input.ipKey,
      input.guard.windowMs,
      input.knownIpTtlMs,
    ]);
    const fields = asArray(reply);
    return {
      throttledUntil: num(fields[0]),
      isKnownIp: num(fields[1]) === 1,
      failures: num(fields[2]),
      distinctIps: num(fields[3]),
    };
  }

  /** See `CounterStore.recordAccount`. */
  async recordAccount(input: AccountRecordInput): Promise<AccountRecordResult> {
    const { guard } = input;
    const keys = this.#accountKeys(input.account);
    const reply = await runScript(this.#client, SCRIPTS.recordAccount, keys, [
      input.now,
      input.outcome,
      input.ipKey,
      input.ip,
      input.deviceId ?? '',
      guard.failureLimit,
      guard.distinctIpLimit,
      guard.windowMs,
      guard.throttleMs,
      input.knownIpTtlMs,
      input.knownIpMax,
      input.devicesWindowMs,
      this.#nextId(),
      this.#maxEntries,
    ]);
    const result = decodeAccountRecord(reply);
    // The failure is counted already: a failed directory write must not reject this call.
    const started = result.throttleStartedUntil;
    if (started > 0) this.#throttles.publish(input.account, started, input.now);
    return result;
  }

  /** See `CounterStore.countRefresh`. */
  async countRefresh(input: RefreshCountInput): Promise<number> {
    const key = `${this.#prefix}{user:${input.userId}}:refresh`;
    const args = [input.now, input.windowMs, this.#nextId(), this.#maxEntries];
    return num(await runScript(this.#client, SCRIPTS.countRefresh, [key], args));
  }

  /** See `CounterStore.peekIp`: parses the state string (one GET). */
  async peekIp(input: IpPeekInput): Promise<IpCounters> {
    const raw = await this.#client.get(this.#ipKey(input.ipKey));
    return countersOfState(raw, input.now, { ...input, pendingTtlMs: this.#pendingTtlMs });
  }

  /** See `CounterStore.getBlock`. */
  async getBlock(ipKey: string, now: number): Promise<BlockRecord | null> {
    return blockOfState(ipKey, await this.#client.get(this.#ipKey(ipKey)), now);
  }

  /** See `CounterStore.listBlocks`. Trims expired and lifted entries from the index. */
  async listBlocks(now: number): Promise<BlockRecord[]> {
    const ipKeys = await this.#index.live(now);
    const blocks = await Promise.all(ipKeys.map((ipKey) => this.getBlock(ipKey, now)));
    await this.#index.forget(ipKeys.filter((_, i) => blocks[i] === null));
    return blocks.filter((b): b is BlockRecord => b !== null);
  }

  /** See `CounterStore.countBlocks` and `BlockIndex.count`. */
  countBlocks(now: number): Promise<number> {
    return this.#index.count(now);
  }

  /** See `CounterStore.setBlock`. */
  async setBlock(input: SetBlockInput): Promise<BlockRecord> {
    const reply = await runScript(
      this.#client,
      SCRIPTS.setBlock,
      [this.#ipKey(input.ipKey)],
      [
        input.now,
        input.rule,
        input.reason,
        input.evidence.count,
        input.evidence.limit,
        input.evidence.windowMs,
        input.blockMs,
        flag(input.manual),
      ],
    );
    const block = decodeBlock(input.ipKey, asArray(reply), 0);
    if (block === null) throw new Error('Redis returned no block');
    await this.#index.add(block);
    return block;
  }

  /** See `CounterStore.unblock`. */
  async unblock(ipKey: string, now: number): Promise<boolean> {
    const keys = [this.#ipKey(ipKey), this.#reputation.keyOf(ipKey)];
    const reply = await runScript(this.#client, SCRIPTS.unblock, keys, [now]);
    await this.#index.remove(ipKey);
    await this.#reputation.forget(ipKey);
    return num(reply) === 1;
  }

  /** See `ReputationStore.addReputation` and `RedisReputation`. */
  addReputation(input: ReputationInput): Promise<ReputationScore> {
    return this.#reputation.add(input);
  }

  /** See `ReputationStore.getReputation`. */
  getReputation(ipKey: string, now: number, halfLifeMs: number): Promise<ReputationScore> {
    return this.#reputation.get(ipKey, now, halfLifeMs);
  }

  /** See `ReputationStore.isReputationAtLeast`: from this instance's copy of the index. */
  isReputationAtLeast(ipKey: string, threshold: number, now: number): boolean {
    return this.#reputation.isAtLeast(ipKey, threshold, now);
  }

  /** PING (every master of a cluster, whose state must be ok); rejects when Redis does not answer. */
  async ping(): Promise<void> {
    await pingRedis(this.#client);
  }

  #nextId(): string {
    this.#sequence += 1;
    return `${this.#instance}${this.#sequence.toString(36)}`;
  }

  /** The one string holding an IP's bot window, failure slots and block. */
  #ipKey(ipKey: string): string {
    return `${this.#prefix}{ip:${ipKey}}:s`;
  }

  #accountKeys(account: string): string[] {
    const base = `${this.#prefix}{acct:${account}}:`;
    return ['throttle', 'known', 'fail', 'failips', 'devices', 'last'].map((s) => base + s);
  }
}

const NOT_THROTTLED: AccountPrecheckResult = Object.freeze({
  throttledUntil: 0,
  isKnownIp: false,
  failures: 0,
  distinctIps: 0,
});
