import { createHash, randomBytes } from 'node:crypto';
import type {
  AccountPrecheckInput,
  AccountPrecheckResult,
  AccountRecordInput,
  AccountRecordResult,
  BlockRecord,
  CounterStore,
  IpPrecheckInput,
  IpPrecheckResult,
  IpRecordInput,
  IpRecordResult,
  IpRuleLimits,
  IpRuleName,
  RefreshCountInput,
  SetBlockInput,
} from './counter-store.ts';
import { DEFAULT_PENDING_TTL_MS } from './counter-store.ts';
import { BLOCK_REASONS } from './memory-counter-store.ts';
import { pingRedis, type RedisClient } from './redis-client.ts';
import {
  COUNT_REFRESH,
  PRECHECK_ACCOUNT,
  PRECHECK_COUNT_RADIX,
  precheckIpScript,
  RECORD_ACCOUNT,
  RECORD_IP,
  SET_BLOCK,
  UNBLOCK,
} from './redis-scripts.ts';

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
}

/** This instance's copy of the throttled-account directory (account → throttle end ms). */
interface ThrottleSnapshot {
  readonly until: Map<string, number>;
  /** More throttled accounts than the cache holds: read every account instead. */
  readonly isOverflow: boolean;
  /** `performance.now()` when the read started. */
  readonly readAt: number;
}

interface Script {
  readonly lua: string;
  readonly sha: string;
  /** Writes with `SET … NX GET` (Redis 7.0+). */
  readonly usesSetNxGet?: boolean;
}

function script(lua: string, usesSetNxGet = false): Script {
  return { lua, sha: createHash('sha1').update(lua).digest('hex'), usesSetNxGet };
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
 * script (EVALSHA, EVAL on NOSCRIPT) over keys of one hash tag: `fa:{ip:1.2.3.4}:fail`.
 * Creating or lifting a block also updates the block index (another slot) in the background.
 */
export class RedisCounterStore implements CounterStore {
  readonly #client: RedisClient;
  readonly #prefix: string;
  readonly #maxEntries: number;
  readonly #pendingTtlMs: number;
  readonly #instance = randomBytes(6).toString('base64url');
  readonly #throttleCacheMs: number;
  readonly #maxThrottles: number;
  #sequence = 0;
  #setNxGet: boolean;
  /** Precheck scripts by limits (one per policy); the last pair of limit objects seen. */
  readonly #precheckScripts = new Map<string, Script>();
  #lastLimits: { bot: IpRuleLimits; bruteForce: IpRuleLimits; script: Script } | null = null;
  #throttles: ThrottleSnapshot = { until: new Map(), isOverflow: true, readAt: -Infinity };
  #refreshing: Promise<ThrottleSnapshot> | null = null;

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
    this.#throttleCacheMs = options.throttleCacheMs ?? 1000;
    this.#maxThrottles = options.maxCachedThrottles ?? 10_000;
    this.#setNxGet = options.setNxGet ?? true;
  }

  /** The key prefix, e.g. for a test's cleanup (`SCAN MATCH prefix*`). */
  get keyPrefix(): string {
    return this.#prefix;
  }

  /** See `CounterStore.precheckIp`. */
  precheckIp(input: IpPrecheckInput): Promise<IpPrecheckResult> {
    let script: Script;
    let args: [string, string, string, string, string];
    let reservation: string;
    try {
      script = this.#precheckScript(input.botActivity, input.bruteForce);
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
    return this.#client.evalsha(script.sha, 1, ...args).then(
      (reply: unknown) => this.#precheckResult(input.ipKey, reservation, reply),
      (error: unknown) => this.#precheckRetry(error, input, script, args, reservation),
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
    script: Script,
    args: readonly string[],
    reservation: string,
  ): Promise<IpPrecheckResult> {
    try {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      const reply = await this.#client.eval(script.lua, 1, ...args);
      return this.#precheckResult(input.ipKey, reservation, reply);
    } catch (failure) {
      // Decided by the script that failed, not the store's current choice: calls already in
      // flight with the NX GET script when the first one switched must retry too.
      if (script.usesSetNxGet !== true || !isSyntaxError(failure)) throw failure;
      if (this.#setNxGet) {
        this.#setNxGet = false;
        this.#lastLimits = null;
      }
      return this.precheckIp(input);
    }
  }

  #precheckResult(ipKey: string, reservation: string, reply: unknown): IpPrecheckResult {
    if (typeof reply === 'number') {
      // ok | reserved | busy, packed: see `precheckIpScript`.
      const flags = reply % 16;
      let counts = (reply - flags) / 16;
      const requests = counts % PRECHECK_COUNT_RADIX;
      counts = (counts - requests) / PRECHECK_COUNT_RADIX;
      const failures = counts % PRECHECK_COUNT_RADIX;
      const status = flags & 3;
      return {
        block: null,
        isBlockCreated: false,
        requests,
        failures,
        pending: (counts - failures) / PRECHECK_COUNT_RADIX,
        reservation: status === 1 ? reservation : null,
        isBusy: status === 2,
        monitored: MONITORED[flags >> 2] as readonly IpRuleName[],
      };
    }
    // blocked | created: {status, requests, failures, pending, monBot, monBrute, ...block}
    const fields = asArray(reply);
    const isCreated = String(fields[0]) === 'created';
    const block = this.#block(ipKey, fields, 6);
    if (isCreated && block !== null) this.#indexBlock(block);
    return {
      block,
      isBlockCreated: isCreated,
      requests: num(fields[1]),
      failures: num(fields[2]),
      pending: num(fields[3]),
      reservation: null,
      isBusy: false,
      monitored: MONITORED[num(fields[4]) + 2 * num(fields[5])] as readonly IpRuleName[],
    };
  }

  /** See `CounterStore.recordIp`. */
  async recordIp(input: IpRecordInput): Promise<IpRecordResult> {
    const bf = input.bruteForce;
    const reply = await this.#run(
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
    const block = fields.length > 3 ? this.#block(input.ipKey, fields, 3) : null;
    if (block !== null) this.#indexBlock(block);
    return {
      failures: num(fields[0]),
      cleared: num(fields[1]),
      isMonitored: num(fields[2]) === 1,
      block,
    };
  }

  /**
   * See `CounterStore.isSurelyUnthrottled`: true while this instance's copy of the
   * throttled-account directory is fresh (under half its maximum age), complete, and does not
   * list the account. Otherwise `precheckAccount` refreshes the copy or reads the account.
   */
  isSurelyUnthrottled(account: string, now: number): boolean {
    const snapshot = this.#throttles;
    return (
      this.#isFresh(performance.now() - snapshot.readAt) &&
      !snapshot.isOverflow &&
      (snapshot.until.get(account) ?? 0) <= now
    );
  }

  /** See `CounterStore.precheckAccount`. */
  async precheckAccount(input: AccountPrecheckInput): Promise<AccountPrecheckResult> {
    if (input.onlyIfThrottled === true) {
      const snapshot = await this.#throttleSnapshot(input.now);
      const until = snapshot.until.get(input.account) ?? 0;
      if (!snapshot.isOverflow && until <= input.now) return NOT_THROTTLED;
    }
    const keys = this.#accountKeys(input.account).slice(0, 4);
    const reply = await this.#run(SCRIPTS.precheckAccount, keys, [
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
    const reply = await this.#run(SCRIPTS.recordAccount, this.#accountKeys(input.account), [
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
    const fields = asArray(reply);
    const started = num(fields[2]);
    if (started > 0) this.#publishThrottle(input.account, started, input.now);
    const prevIpKey = String(fields[4] ?? '');
    return {
      failures: num(fields[0]),
      distinctIps: num(fields[1]),
      throttleStartedUntil: started,
      previousLogin:
        prevIpKey === '' ? null : { ip: String(fields[3]), ipKey: prevIpKey, at: num(fields[5]) },
      distinctDevices: num(fields[6]),
      isNewDevice: num(fields[7]) === 1,
    };
  }

  /** See `CounterStore.countRefresh`. */
  async countRefresh(input: RefreshCountInput): Promise<number> {
    const key = `${this.#prefix}{user:${input.userId}}:refresh`;
    const reply = await this.#run(
      SCRIPTS.countRefresh,
      [key],
      [input.now, input.windowMs, this.#nextId(), this.#maxEntries],
    );
    return num(reply);
  }

  /** See `CounterStore.getBlock`. */
  async getBlock(ipKey: string, now: number): Promise<BlockRecord | null> {
    const raw = await this.#client.get(this.#ipKey(ipKey));
    // `<bot>|<slots>|<block json>`: the block is everything after the second '|'.
    const at = raw === null ? -1 : raw.indexOf('|', raw.indexOf('|') + 1);
    const json = raw === null || at < 0 ? '' : raw.slice(at + 1);
    const block = json === '' ? null : this.#block(ipKey, asArray(JSON.parse(json)), 0);
    return block !== null && block.expiresAt > now ? block : null;
  }

  /** See `CounterStore.listBlocks`. Trims expired and lifted entries from the index. */
  async listBlocks(now: number): Promise<BlockRecord[]> {
    const index = this.#indexKey();
    await this.#client.zremrangebyscore(index, '-inf', now);
    const ipKeys = await this.#client.zrange(index, 0, -1);
    const blocks = await Promise.all(ipKeys.map((ipKey) => this.getBlock(ipKey, now)));
    const gone = ipKeys.filter((_, i) => blocks[i] === null);
    if (gone.length > 0) await this.#client.zrem(index, ...gone);
    return blocks.filter((b): b is BlockRecord => b !== null);
  }

  /**
   * See `CounterStore.countBlocks`: the index scored by expiry, counted past `now`. An unblock
   * removes its entry and a replaced block moves its score, so only live blocks count.
   */
  countBlocks(now: number): Promise<number> {
    return this.#client.zcount(this.#indexKey(), `(${now}`, '+inf');
  }

  /** See `CounterStore.setBlock`. */
  async setBlock(input: SetBlockInput): Promise<BlockRecord> {
    const reply = await this.#run(
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
    const block = this.#block(input.ipKey, asArray(reply), 0);
    if (block === null) throw new Error('Redis returned no block');
    await this.#client.zadd(this.#indexKey(), block.expiresAt, block.ipKey);
    return block;
  }

  /** See `CounterStore.unblock`. */
  async unblock(ipKey: string, now: number): Promise<boolean> {
    const reply = await this.#run(SCRIPTS.unblock, [this.#ipKey(ipKey)], [now]);
    await this.#client.zrem(this.#indexKey(), ipKey);
    return num(reply) === 1;
  }

  /** PING (every master of a cluster, whose state must be ok); rejects when Redis does not answer. */
  async ping(): Promise<void> {
    await pingRedis(this.#client);
  }

  /** The precheck script for these limits (built and hashed once per distinct set). */
  #precheckScript(bot: IpRuleLimits, bruteForce: IpRuleLimits): Script {
    const last = this.#lastLimits;
    if (last !== null && last.bot === bot && last.bruteForce === bruteForce) return last.script;
    const config = {
      botLimit: bot.limit,
      botWindowMs: bot.windowMs,
      botBlockMs: bot.blockMs,
      botEnforced: bot.isEnforced,
      bruteLimit: bruteForce.limit,
      bruteWindowMs: bruteForce.windowMs,
      bruteBlockMs: bruteForce.blockMs,
      bruteEnforced: bruteForce.isEnforced,
      pendingTtlMs: this.#pendingTtlMs,
      maxEntries: this.#maxEntries,
      botReason: BLOCK_REASONS.bot_activity,
      bruteReason: BLOCK_REASONS.brute_force,
      setNxGet: this.#setNxGet,
    };
    const key = JSON.stringify(config);
    let found = this.#precheckScripts.get(key);
    if (found === undefined) {
      // Policies change rarely; a caller passing ever-new limits must not grow this forever.
      if (this.#precheckScripts.size >= 64) this.#precheckScripts.clear();
      found = script(precheckIpScript(config), config.setNxGet);
      this.#precheckScripts.set(key, found);
    }
    this.#lastLimits = { bot, bruteForce, script: found };
    return found;
  }

  #nextId(): string {
    this.#sequence += 1;
    return `${this.#instance}${this.#sequence.toString(36)}`;
  }

  /** The one string holding an IP's bot window, failure slots and block. */
  #ipKey(ipKey: string): string {
    return `${this.#prefix}{ip:${ipKey}}:s`;
  }

  #throttleKey(): string {
    return `${this.#prefix}throttled`;
  }

  /**
   * The throttled-account directory, at most `throttleCacheMs` old: refreshed in the
   * background after half that age, awaited (one read shared by all callers) after it.
   */
  async #throttleSnapshot(now: number): Promise<ThrottleSnapshot> {
    const age = performance.now() - this.#throttles.readAt;
    if (this.#isFresh(age)) return this.#throttles;
    const refresh = this.#refreshThrottles(now);
    if (age < this.#throttleCacheMs) {
      refresh.catch(() => {});
      return this.#throttles;
    }
    return refresh;
  }

  /** Young enough to use without refreshing: under half the directory copy's maximum age. */
  #isFresh(ageMs: number): boolean {
    return ageMs < this.#throttleCacheMs / 2;
  }

  #refreshThrottles(now: number): Promise<ThrottleSnapshot> {
    if (this.#refreshing !== null) return this.#refreshing;
    const readAt = performance.now();
    const max = this.#maxThrottles;
    this.#refreshing = this.#client
      .zrangebyscore(this.#throttleKey(), `(${now}`, '+inf', 'WITHSCORES', 'LIMIT', 0, max + 1)
      .then((flat) => {
        const until = new Map<string, number>();
        for (let i = 0; i + 1 < flat.length; i += 2) until.set(String(flat[i]), num(flat[i + 1]));
        // Throttles published locally meanwhile are newer than this read: keep them.
        for (const [account, end] of this.#throttles.until) {
          if (end > (until.get(account) ?? 0) && end > now) until.set(account, end);
        }
        if (readAt > this.#throttles.readAt) {
          this.#throttles = { until, isOverflow: flat.length / 2 > max, readAt };
        }
        return this.#throttles;
      })
      .finally(() => {
        this.#refreshing = null;
      });
    return this.#refreshing;
  }

  /**
   * Adds a started throttle to the directory every instance reads (another slot). This
   * instance sees it at once (local copy, synchronously); the Redis write is fire-and-forget:
   * the failure is already counted, so a failed write must not reject `recordAccount` (the
   * resilient store would count it again in memory). Other instances still see the throttle
   * on their full read of the account; only their `onlyIfThrottled` shortcut misses it.
   */
  #publishThrottle(account: string, until: number, now: number): void {
    this.#throttles.until.set(account, until);
    const key = this.#throttleKey();
    this.#client.zadd(key, 'GT', until, account).catch(() => {});
    this.#client.zremrangebyscore(key, '-inf', now).catch(() => {});
  }

  #accountKeys(account: string): string[] {
    const base = `${this.#prefix}{acct:${account}}:`;
    return ['throttle', 'known', 'fail', 'failips', 'devices', 'last'].map((s) => base + s);
  }

  #indexKey(): string {
    return `${this.#prefix}blocks`;
  }

  #indexBlock(block: BlockRecord): void {
    // Another slot than the IP keys, so not in the script; a lost write is trimmed on read.
    this.#client.zadd(this.#indexKey(), block.expiresAt, block.ipKey).catch(() => {});
  }

  #block(ipKey: string, fields: readonly unknown[], at: number): BlockRecord | null {
    const expiresAt = fields[at + 3];
    if (expiresAt === null || expiresAt === undefined) return null;
    return {
      ipKey,
      rule: String(fields[at]),
      reason: String(fields[at + 1]),
      createdAt: num(fields[at + 2]),
      expiresAt: num(expiresAt),
      manual: String(fields[at + 4]) === '1',
      evidence: {
        count: num(fields[at + 5]),
        limit: num(fields[at + 6]),
        windowMs: num(fields[at + 7]),
      },
    };
  }

  async #run(
    s: Script,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<unknown> {
    try {
      return await this.#client.evalsha(s.sha, keys.length, ...keys, ...args);
    } catch (error) {
      // After a Redis restart or failover the script cache is empty.
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return this.#client.eval(s.lua, keys.length, ...keys, ...args);
    }
  }
}

/** `monitored` by bit set (1 bot_activity, 2 brute_force), shared and frozen. */
const MONITORED: readonly (readonly IpRuleName[])[] = [
  Object.freeze([]),
  Object.freeze(['bot_activity'] as const),
  Object.freeze(['brute_force'] as const),
  Object.freeze(['bot_activity', 'brute_force'] as const),
];

const NOT_THROTTLED: AccountPrecheckResult = Object.freeze({
  throttledUntil: 0,
  isKnownIp: false,
  failures: 0,
  distinctIps: 0,
});

/** The account as stored in a failure slot: never ',', ';' or '|' (the separators). */
function slotAccount(account: string): string {
  // Raw values never hold '%' and escaped ones always do, so two accounts never collide.
  return /[,;|%]/.test(account) ? encodeURIComponent(account) : account;
}

/** Redis's answer to an option it does not know (here: `SET … NX GET` before 7.0). */
function isSyntaxError(error: unknown): boolean {
  return error instanceof Error && /syntax error/i.test(error.message);
}

function flag(value: boolean): string {
  return value ? '1' : '0';
}

function num(value: unknown): number {
  const n = typeof value === 'number' ? value : Number(value ?? 0);
  return Number.isFinite(n) ? n : 0;
}

function asArray(reply: unknown): unknown[] {
  if (!Array.isArray(reply)) throw new Error('Unexpected Redis script reply');
  return reply;
}
