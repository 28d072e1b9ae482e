import type { SecurityEventBus } from '../events/index.ts';
import type { BlockRecord, CounterStore, IpCounters, ReputationScore } from '../store/index.ts';
import type { Attempt, Decision, Outcome, RateQuota, Refusal, Ticket } from './attempt.ts';
import { BlockCache } from './block-cache.ts';
import { clientKeyOf, PolicyCompiler } from './compiled-policy.ts';
import { Prechecker } from './detector-precheck.ts';
import { Recorder } from './detector-record.ts';
import { EventPublisher } from './event-publisher.ts';
import type { DetectionPolicy } from './policy.ts';
import { ReputationTracker } from './reputation/reputation-tracker.ts';
import type { SeedLists } from './reputation/seed-lists.ts';
import type { StoreStatus } from './resilient-store-options.ts';
import type { GeoLocator } from './rules/account-takeover.ts';

/** What `createDetector` needs. `policy` is a getter so a reloaded policy applies at once. */
export interface DetectorOptions {
  readonly store: CounterStore;
  readonly policy: () => DetectionPolicy;
  readonly bus: SecurityEventBus;
  /** Epoch ms, for `record` and admin calls (`precheck` uses `attempt.now`). */
  readonly clock?: () => number;
  /** How long an instance answers a blocked IP from memory (ms). Default 1000. */
  readonly blockCacheMs?: number;
  /** Geography seam for account_takeover. */
  readonly locate?: GeoLocator;
  /** Seed lists of known bad ranges (`REPUTATION_LISTS`); none by default. */
  readonly seedLists?: SeedLists;
}

/** An IP's reputation as admins see it. */
export interface IpReputation extends ReputationScore {
  readonly ipKey: string;
  /** On a seed list (its score is at least the policy's `listedScore`). */
  readonly listed: boolean;
  /** 0: the policy's limits; 1: halved; 2: the first failed login blocks. */
  readonly level: 0 | 1 | 2;
  readonly mode: 'enforce' | 'monitor';
}

/** The detection core: framework-free, one store round trip per call. */
export interface Detector {
  /** Before any password or database work: allow (with a ticket) or block. */
  precheck(attempt: Attempt): Promise<Decision>;
  /**
   * The refusals `precheck` gives from memory alone (a denylisted IP, a block this instance
   * has cached), synchronously and without the request body; null when the store must be
   * asked. A cached answer counts toward the IP's next `blocked_request` roll-up.
   */
  precheckFromMemory(attempt: Attempt): Refusal | null;
  /**
   * After an allowed attempt ran: counts its outcome. Never throws on a rule. A login's
   * outcome answers the brute_force quota after it (null when the precheck's still holds).
   */
  record(ticket: Ticket, outcome: Outcome): Promise<RateQuota | null>;
  /** `degraded` while a resilient store counts in memory; for `/ready`. */
  status(): StoreStatus;
  /** The key an IP is counted and blocked under (IPv6 per /64 by default). */
  clientKey(ip: string): string;
  /** Manual block by an admin. */
  blockIp(
    ip: string,
    options: { readonly durationSeconds: number; readonly reason: string },
  ): Promise<BlockRecord>;
  /** Lifts a block (and the IP's failure window); true when one was active. */
  unblockIp(ip: string): Promise<boolean>;
  /** Active blocks, soonest expiry first. */
  listBlocks(): Promise<BlockRecord[]>;
  /** How many blocks are active (cheap; for the metrics gauge). */
  countBlocks(): Promise<number>;
  /** The IP's current brute_force and bot_activity counters (read only). */
  countersOf(ip: string): Promise<IpCounters>;
  /** The IP's active block, or null. */
  blockOf(ip: string): Promise<BlockRecord | null>;
  /** An IP's reputation: score (0–100), why, and whether a seed list names it. */
  reputationOf(ip: string): Promise<IpReputation>;
  /** Drops this instance's cached copy of a block another process lifted. */
  forgetCachedBlock(ipKey: string): void;
  /**
   * Publishes the repeats held back by the roll-up (blocked requests, throttles…) once their
   * interval has passed, or all of them with `all` (shutdown: no reputation is scored after it).
   */
  flushEvents(options?: { readonly all?: boolean }): void;
}

/** Builds a detector over a store (memory, Redis, or a `ResilientCounterStore`). */
export function createDetector(options: DetectorOptions): Detector {
  return new DetectorImpl(options);
}

/**
 * The detector: its roles wired together (compiled policy, precheck, record, event
 * publishing; see those files), plus the admin calls on blocks.
 */
class DetectorImpl implements Detector {
  readonly #store: CounterStore;
  readonly #policies: PolicyCompiler;
  readonly #clock: () => number;
  readonly #cache: BlockCache;
  readonly #events: EventPublisher;
  readonly #prechecker: Prechecker;
  readonly #recorder: Recorder;
  readonly #reputation: ReputationTracker;
  #isClosing = false;

  constructor(options: DetectorOptions) {
    this.#store = options.store;
    this.#policies = new PolicyCompiler(options.policy);
    this.#clock = options.clock ?? Date.now;
    this.#cache = new BlockCache(options.blockCacheMs ?? 1000);
    this.#reputation = new ReputationTracker(this.#store, options.seedLists ?? null);
    this.#events = new EventPublisher(options.bus, (ipKey, event, now) => {
      // The final flush runs as the store closes: a write then could only fail.
      if (this.#isClosing) return;
      this.#reputation.note(ipKey, event, now, this.#policies.current().policy.reputation);
    });
    const roles = {
      store: this.#store,
      policies: this.#policies,
      events: this.#events,
      cache: this.#cache,
      reputation: this.#reputation,
    };
    this.#prechecker = new Prechecker(roles);
    this.#recorder = new Recorder({ ...roles, clock: this.#clock, locate: options.locate ?? null });
  }

  precheck(attempt: Attempt): Promise<Decision> {
    return this.#prechecker.precheck(attempt);
  }

  precheckFromMemory(attempt: Attempt): Refusal | null {
    return this.#prechecker.precheckFromMemory(attempt);
  }

  record(ticket: Ticket, outcome: Outcome): Promise<RateQuota | null> {
    return this.#recorder.record(ticket, outcome);
  }

  status(): StoreStatus {
    const store = this.#store as CounterStore & { status?: () => StoreStatus };
    return typeof store.status === 'function' ? store.status() : 'ok';
  }

  clientKey(ip: string): string {
    return clientKeyOf(ip, this.#policies.current().policy.ipv6PrefixLength);
  }

  flushEvents(options: { readonly all?: boolean } = {}): void {
    if (options.all === true) this.#isClosing = true;
    this.#events.flush(this.#clock(), options);
  }

  async blockIp(
    ip: string,
    options: { durationSeconds: number; reason: string },
  ): Promise<BlockRecord> {
    const now = this.#clock();
    this.#cache.delete(this.clientKey(ip));
    return this.#store.setBlock({
      ipKey: this.clientKey(ip),
      rule: 'manual',
      reason: options.reason,
      evidence: { count: 0, limit: 0, windowMs: 0 },
      now,
      blockMs: options.durationSeconds * 1000,
      manual: true,
    });
  }

  async unblockIp(ip: string): Promise<boolean> {
    const ipKey = this.clientKey(ip);
    this.#cache.delete(ipKey);
    return this.#store.unblock(ipKey, this.#clock());
  }

  listBlocks(): Promise<BlockRecord[]> {
    return this.#store.listBlocks(this.#clock());
  }

  countBlocks(): Promise<number> {
    return this.#store.countBlocks(this.#clock());
  }

  countersOf(ip: string): Promise<IpCounters> {
    const { rules } = this.#policies.current().policy;
    return this.#store.peekIp({
      ipKey: this.clientKey(ip),
      now: this.#clock(),
      botWindowMs: rules.bot_activity.windowMs,
      bruteWindowMs: rules.brute_force.windowMs,
    });
  }

  blockOf(ip: string): Promise<BlockRecord | null> {
    return this.#store.getBlock(this.clientKey(ip), this.#clock());
  }

  async reputationOf(ip: string): Promise<IpReputation> {
    const { policy } = this.#policies.current();
    const ipKey = this.clientKey(ip);
    const now = this.#clock();
    const score = await this.#reputation.scoreOf(ipKey, ip, now, policy.reputation);
    const level = this.#reputation.levelOf(ipKey, ip, now, policy.reputation);
    return { ...score, ipKey, level, mode: policy.reputation.mode };
  }

  forgetCachedBlock(ipKey: string): void {
    this.#cache.delete(ipKey);
  }
}
