/**
 * The counter store: every operation a detection rule needs, each one atomic.
 * Times are epoch milliseconds passed in by the caller (`now`), never read from a
 * clock inside the store, so tests drive windows with a fake clock.
 */

/** Rules whose counters live in the per-IP slot. */
export type IpRuleName = 'brute_force' | 'bot_activity';

/** Why an IP is blocked: the counter values and thresholds that led to it. */
export interface BlockEvidence {
  readonly count: number;
  readonly limit: number;
  readonly windowMs: number;
}

/** An active IP block. `ipKey` is the client key (IPv4 or IPv6 /64). Times in epoch ms. */
export interface BlockRecord {
  readonly ipKey: string;
  readonly rule: string;
  readonly reason: string;
  readonly evidence: BlockEvidence;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly manual: boolean;
}

/** Thresholds for one windowed IP rule; `isEnforced: false` counts but never blocks. */
export interface IpRuleLimits {
  readonly limit: number;
  readonly windowMs: number;
  readonly blockMs: number;
  readonly isEnforced: boolean;
}

/** Login reservations older than this (ms) with no recorded outcome count as failures. */
export const DEFAULT_PENDING_TTL_MS = 30_000;

/** Input of `precheckIp`. `account` (a hash) set means: reserve a failure slot (login). */
export interface IpPrecheckInput {
  readonly ipKey: string;
  readonly now: number;
  readonly account: string | null;
  readonly bruteForce: IpRuleLimits;
  readonly botActivity: IpRuleLimits;
  /** Ignore an active block and never create one (allowlisted IPs). */
  readonly isExempt: boolean;
}

/** What `precheckIp` saw and did. */
export interface IpPrecheckResult {
  /** Active block that denies this request (existing or created now), else null. */
  readonly block: BlockRecord | null;
  readonly isBlockCreated: boolean;
  /** Credential requests in the bot window, this one included (0 when denied by a block). */
  readonly requests: number;
  /** Failures in the window (expired reservations included), before this request. */
  readonly failures: number;
  /** Reservations awaiting an outcome, before this request. */
  readonly pending: number;
  /** Failure slot reserved for this login; hand it back to `recordIp`. */
  readonly reservation: string | null;
  /** The failure window is full of pending reservations: deny now, block nobody. */
  readonly isBusy: boolean;
  /** Rules whose limit was crossed but not enforced (monitor mode or exempt IP). */
  readonly monitored: readonly IpRuleName[];
}

/** Outcome of a reserved login: a failure keeps its slot, a success or release returns it. */
export type SlotOutcome = 'failure' | 'success' | 'release';

/** Input of `recordIp`. */
export interface IpRecordInput {
  readonly ipKey: string;
  readonly now: number;
  readonly account: string;
  readonly reservation: string | null;
  readonly outcome: SlotOutcome;
  readonly bruteForce: IpRuleLimits;
  readonly isExempt: boolean;
}

/** What `recordIp` did. */
export interface IpRecordResult {
  /** Failures in the window after this call. */
  readonly failures: number;
  /** Block created by this call (failures reached the limit), else null. */
  readonly block: BlockRecord | null;
  /** Failures this IP had against this account that a success removed. */
  readonly cleared: number;
  /** Limit reached but not enforced. */
  readonly isMonitored: boolean;
}

/** Per-account credential-stuffing guard thresholds. */
export interface AccountGuardLimits {
  readonly failureLimit: number;
  readonly distinctIpLimit: number;
  readonly windowMs: number;
  readonly throttleMs: number;
}

/** Input of `precheckAccount`. `account` is a hash, never the raw email. */
export interface AccountPrecheckInput {
  readonly account: string;
  readonly ipKey: string;
  readonly now: number;
  readonly guard: AccountGuardLimits;
  /** How long a successful login makes its IP "known" (ms). */
  readonly knownIpTtlMs: number;
  /**
   * Login hot path: when the account is not throttled, the store may answer all zeros
   * (`isKnownIp: false`) without reading the account, deciding "not throttled" from a view
   * of the throttled accounts at most ~1 s stale (a throttle started on another instance
   * applies within that). While a throttle is active the answer is the full read.
   */
  readonly onlyIfThrottled?: boolean;
}

/** What `precheckAccount` saw (read only). */
export interface AccountPrecheckResult {
  /** End of the account's throttle (epoch ms), 0 when none is active. */
  readonly throttledUntil: number;
  readonly isKnownIp: boolean;
  readonly failures: number;
  readonly distinctIps: number;
}

/** Input of `recordAccount` after a login ran. */
export interface AccountRecordInput {
  readonly account: string;
  readonly ipKey: string;
  /** Raw client IP, kept as the last login IP for the takeover rule. */
  readonly ip: string;
  readonly now: number;
  readonly outcome: 'failure' | 'success';
  readonly deviceId: string | null;
  readonly guard: AccountGuardLimits;
  readonly knownIpTtlMs: number;
  readonly knownIpMax: number;
  readonly devicesWindowMs: number;
}

/** The previous successful login of an account. */
export interface LastLogin {
  readonly ip: string;
  readonly ipKey: string;
  readonly at: number;
}

/** What `recordAccount` saw and did. */
export interface AccountRecordResult {
  readonly failures: number;
  readonly distinctIps: number;
  /** Throttle started by this failure (epoch ms end), 0 otherwise. */
  readonly throttleStartedUntil: number;
  /** On success: the login before this one, or null. */
  readonly previousLogin: LastLogin | null;
  /** On success: distinct devices in the devices window, this one included. */
  readonly distinctDevices: number;
  readonly isNewDevice: boolean;
}

/** Input of `countRefresh`. */
export interface RefreshCountInput {
  readonly userId: string;
  readonly now: number;
  readonly windowMs: number;
}

/** Input of `setBlock` (manual block by an admin, or any rule). */
export interface SetBlockInput {
  readonly ipKey: string;
  readonly rule: string;
  readonly reason: string;
  readonly evidence: BlockEvidence;
  readonly now: number;
  readonly blockMs: number;
  readonly manual: boolean;
}

/**
 * Counters for the detection rules. Every method is ONE atomic step: a synchronous
 * function in memory, one Lua script (one round trip) on Redis. Methods reject only
 * on store failure (network, timeout); callers decide how to degrade.
 */
export interface CounterStore extends ReputationStore {
  /**
   * Login/signup precheck for one IP, atomically: deny on an active block; count the
   * request (bot window); for a login reserve a failure slot, or block when the
   * failures already reach the limit (reserve before check).
   */
  precheckIp(input: IpPrecheckInput): Promise<IpPrecheckResult>;
  /** Settles a reservation: failure keeps it (blocks at the limit); success clears this account's failures. */
  recordIp(input: IpRecordInput): Promise<IpRecordResult>;
  /** Reads an account's throttle, failure counters and whether the IP is known. */
  precheckAccount(input: AccountPrecheckInput): Promise<AccountPrecheckResult>;
  /**
   * Login hot path, synchronous: true when the store can tell without I/O that the account
   * has no active throttle (same staleness as `onlyIfThrottled`); false when only
   * `precheckAccount` can tell. The detector skips `precheckAccount` on true.
   */
  isSurelyUnthrottled(account: string, now: number): boolean;
  /** Records a login outcome on the account (failures by IP, known IPs, devices, last login). */
  recordAccount(input: AccountRecordInput): Promise<AccountRecordResult>;
  /** Counts one refresh for the user; returns refreshes in the window, this one included. */
  countRefresh(input: RefreshCountInput): Promise<number>;
  /** An IP's current counters, read only (admin view). */
  peekIp(input: IpPeekInput): Promise<IpCounters>;
  /** The active block of an IP key, or null. */
  getBlock(ipKey: string, now: number): Promise<BlockRecord | null>;
  /** All active blocks, soonest expiry first. */
  listBlocks(now: number): Promise<BlockRecord[]>;
  /** How many blocks are active, without reading them (one command on Redis; for metrics). */
  countBlocks(now: number): Promise<number>;
  /** Sets (or replaces) a block. */
  setBlock(input: SetBlockInput): Promise<BlockRecord>;
  /**
   * Lifts a block and clears the IP's failure window and reputation score (an operator's
   * pardon); true when a block was active.
   */
  unblock(ipKey: string, now: number): Promise<boolean>;
  /** Cheap liveness probe; rejects when the store is unreachable. */
  ping(): Promise<void>;
}

/** Input of `peekIp`: the windows to count in. */
export interface IpPeekInput {
  readonly ipKey: string;
  readonly now: number;
  readonly botWindowMs: number;
  readonly bruteWindowMs: number;
}

/** An IP's current counters (read only): what its next precheck would start from. */
export interface IpCounters {
  /** Credential requests in the bot window. */
  readonly requests: number;
  /** Failed logins in the failure window (stale reservations included). */
  readonly failures: number;
  /** Reservations awaiting an outcome. */
  readonly pending: number;
}

/** One event that added to an IP's reputation score. */
export interface ReputationReason {
  readonly type: string;
  readonly points: number;
  /** Epoch ms. */
  readonly at: number;
}

/** An IP's reputation: 0–100, decayed to `now`, with the latest events that made it. */
export interface ReputationScore {
  readonly score: number;
  /** Newest first, at most `MAX_REPUTATION_REASONS`. */
  readonly reasons: readonly ReputationReason[];
}

/** Input of `addReputation`: `points` for an event of `type`, decaying with `halfLifeMs`. */
export interface ReputationInput {
  readonly ipKey: string;
  readonly now: number;
  readonly type: string;
  readonly points: number;
  readonly halfLifeMs: number;
  /** Scores the detector tightens at (e.g. 50 and 80): the store indexes IPs above each. */
  readonly thresholds: readonly number[];
}

/** Reasons kept per IP. */
export const MAX_REPUTATION_REASONS = 10;

/**
 * Reputation by client key (IP or /64), in the same store as the counters so every instance
 * shares it. Part of `CounterStore`.
 */
export interface ReputationStore {
  /** Decays the stored score to `now`, adds the points (capped at 100), records the reason. */
  addReputation(input: ReputationInput): Promise<ReputationScore>;
  /** The score decayed to `now` (0 and no reasons for an unknown key). */
  getReputation(ipKey: string, now: number, halfLifeMs: number): Promise<ReputationScore>;
  /**
   * Hot path, synchronous: whether the key's score is at or above a threshold passed to
   * `addReputation`. Exact in memory; on Redis from this instance's copy of the fleet's index,
   * at most ~1 s stale (this instance's own additions apply at once).
   */
  isReputationAtLeast(ipKey: string, threshold: number, now: number): boolean;
}
