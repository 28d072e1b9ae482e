import {
  EVENT_TYPES,
  type RuleEventType,
  type SecurityEventBus,
  type SecurityEventDetails,
  type SecurityEventOf,
} from '../events/index.ts';
import type {
  AccountGuardLimits,
  AccountPrecheckResult,
  BlockRecord,
  CounterStore,
  IpPrecheckResult,
  IpRuleLimits,
} from '../store/index.ts';
import { hashAccount } from './account-key.ts';
import {
  type Attempt,
  type AuthRoute,
  type Decision,
  isCredentialRoute,
  type Outcome,
  type RateQuota,
  type Refusal,
  type Ticket,
} from './attempt.ts';
import { BlockCache } from './block-cache.ts';
import { type CidrList, parseCidrList, toClientKey } from './client-ip.ts';
import { EventRollup } from './event-rollup.ts';
import type { DetectionPolicy, RuleMode } from './policy.ts';
import type { StoreStatus } from './resilient-store.ts';
import {
  evaluateAccountGuardPrecheck,
  evaluateAccountGuardRecord,
  toAccountGuardLimits,
} from './rules/account-guard.ts';
import { evaluateAccountTakeover, type GeoLocator } from './rules/account-takeover.ts';
import { evaluateActiveBlock, IP_BLOCKED_MESSAGE } from './rules/active-block.ts';
import { evaluateBotActivity, toBotActivityLimits } from './rules/bot-activity.ts';
import { evaluateBruteForce, toBruteForceLimits } from './rules/brute-force.ts';
import { evaluateMultipleDevices } from './rules/multiple-devices.ts';
import { evaluateRapidTokenRefresh } from './rules/rapid-token-refresh.ts';
import {
  evaluateUserAgent,
  sanitizeUserAgent,
  UserAgentClassifier,
} from './rules/suspicious-user-agent.ts';
import type {
  BlockVerdict,
  RuleEvent,
  RuleEventOf,
  RuleRunMode,
  RuleVerdict,
} from './rules/verdict.ts';

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
  /** Drops this instance's cached copy of a block another process lifted. */
  forgetCachedBlock(ipKey: string): void;
  /**
   * Publishes the repeats held back by the roll-up (blocked requests, throttles…) once their
   * interval has passed, or all of them with `all` (shutdown). Call about once a second.
   */
  flushEvents(options?: { readonly all?: boolean }): void;
}

/** What a policy object turns into once (not per request): lists and store limits. */
interface CompiledPolicy {
  readonly allow: CidrList;
  readonly deny: CidrList;
  readonly bruteForce: IpRuleLimits;
  readonly botActivity: IpRuleLimits;
  readonly guard: AccountGuardLimits;
  readonly knownIpTtlMs: number;
}

/** A held-back repeat: enough of the attempt to publish it later (not the request itself). */
interface HeldEvent {
  readonly attempt: Attempt;
  readonly ipKey: string;
  readonly event: RuleEvent;
  readonly userId: string | null;
}

/** Event types that repeat during a flood are published at most once per IP per second. */
const REPEAT_INTERVAL_MS = 1000;
const USER_AGENT_INTERVAL_MS = 60_000;

/** Builds a detector over a store (memory, Redis, or a `ResilientCounterStore`). */
export function createDetector(options: DetectorOptions): Detector {
  return new DetectorImpl(options);
}

class DetectorImpl implements Detector {
  readonly #store: CounterStore;
  readonly #policy: () => DetectionPolicy;
  readonly #bus: SecurityEventBus;
  readonly #clock: () => number;
  readonly #locate: GeoLocator | null;
  readonly #cache: BlockCache;
  readonly #rollup = new EventRollup<HeldEvent>((held, count) => {
    const event = { ...held.event, details: { ...held.event.details, count } };
    this.#publish(held.attempt, held.ipKey, event, held.userId);
  });
  readonly #userAgents = new UserAgentClassifier();
  readonly #compiledPolicies = new WeakMap<DetectionPolicy, CompiledPolicy>();

  constructor(options: DetectorOptions) {
    this.#store = options.store;
    this.#policy = options.policy;
    this.#bus = options.bus;
    this.#clock = options.clock ?? Date.now;
    this.#locate = options.locate ?? null;
    this.#cache = new BlockCache(options.blockCacheMs ?? 1000);
  }

  status(): StoreStatus {
    const store = this.#store as CounterStore & { status?: () => StoreStatus };
    return typeof store.status === 'function' ? store.status() : 'ok';
  }

  clientKey(ip: string): string {
    return clientKeyOf(ip, this.#policy().ipv6PrefixLength);
  }

  // Not `async`: the store path hands back #precheckStore's promise itself (one promise
  // and two microtask hops fewer per call); a throw still becomes a rejection.
  precheck(attempt: Attempt): Promise<Decision> {
    try {
      const policy = this.#policy();
      const compiled = this.#compiled(policy);
      const ipKey = clientKeyOf(attempt.ip, policy.ipv6PrefixLength);
      // A flood from a blocked IP is answered first, from memory: no other rule, no store.
      if (attempt.isMemoryChecked !== true) {
        const refusal = this.#refuseFromMemory(attempt, ipKey, policy, compiled);
        if (refusal !== null) return Promise.resolve(refusal);
      }
      const isExempt = compiled.allow.matches(attempt.ip);
      const isCredential = isCredentialRoute(attempt.route);
      const uaMode = modeOf(policy.rules.suspicious_user_agent.mode, isExempt);
      this.#checkUserAgent(attempt, ipKey, uaMode);
      // Token routes: no IP block, no bot rule (a blocked NAT neighbour must not log all out).
      if (!isCredential) {
        return Promise.resolve(
          allow({ attempt, reservation: null, ipKey, accountKey: null, isExempt }),
        );
      }
      return this.#precheckStore(attempt, ipKey, isExempt, policy, compiled);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  precheckFromMemory(attempt: Attempt): Refusal | null {
    const policy = this.#policy();
    const ipKey = clientKeyOf(attempt.ip, policy.ipv6PrefixLength);
    return this.#refuseFromMemory(attempt, ipKey, policy, this.#compiled(policy));
  }

  #refuseFromMemory(
    attempt: Attempt,
    ipKey: string,
    policy: DetectionPolicy,
    compiled: CompiledPolicy,
  ): Refusal | null {
    if (compiled.deny.matches(attempt.ip)) return this.#denylisted(attempt, ipKey, policy);
    if (!isCredentialRoute(attempt.route) || compiled.allow.matches(attempt.ip)) return null;
    const cached = this.#cache.get(ipKey, attempt.now);
    if (cached === null) return null;
    this.#countBlocked(attempt, ipKey, cached);
    const verdict = evaluateActiveBlock(cached, attempt.route, attempt.now);
    return this.#refuse(verdict, attempt.route, ipKey, policy);
  }

  async #precheckStore(
    attempt: Attempt,
    ipKey: string,
    isExempt: boolean,
    policy: DetectionPolicy,
    compiled: CompiledPolicy,
  ): Promise<Decision> {
    const { decision, ip } = await this.#decideWithStore(
      attempt,
      ipKey,
      isExempt,
      policy,
      compiled,
    );
    if (decision.action === 'block') {
      const quota = quotaOf(attempt.route, policy, ipKey, 0, decision.retryAfterSeconds);
      return { ...decision, quota };
    }
    // Counts as of this request: its own request (signup) or reserved slot (login) included.
    const { rules } = policy;
    const remaining =
      attempt.route === 'login'
        ? rules.brute_force.limit - ip.failures - ip.pending - (ip.reservation === null ? 0 : 1)
        : rules.bot_activity.limit - ip.requests;
    return { ...decision, quota: quotaOf(attempt.route, policy, ipKey, remaining, 0) };
  }

  // One store round trip: the decision, and the counters the quota is read from.
  async #decideWithStore(
    attempt: Attempt,
    ipKey: string,
    isExempt: boolean,
    policy: DetectionPolicy,
    compiled: CompiledPolicy,
  ): Promise<{ decision: Decision; ip: IpPrecheckResult }> {
    const { rules } = policy;
    const { now } = attempt;
    // A login refused before any password check reserves no slot, needs no account read and
    // is not hashed here (`#recordLogin` hashes it should such a login be recorded after all).
    const isChecked = attempt.route === 'login' && attempt.isRefusedBeforeCheck?.() !== true;
    const slotAccount = isChecked ? hashAccount(attempt.account ?? '') : null;
    // Only a throttled account needs reading before the password check; the store usually
    // knows without I/O that it is not (then no second call and no Promise.all). Asked
    // before the IP call so a throw here cannot leave that call's promise unobserved.
    const needsAccount = slotAccount !== null && !this.#store.isSurelyUnthrottled(slotAccount, now);
    const ipReply = this.#store.precheckIp({
      ipKey,
      now,
      account: slotAccount,
      bruteForce: compiled.bruteForce,
      botActivity: compiled.botActivity,
      isExempt,
    });
    const acctReply = needsAccount
      ? this.#store.precheckAccount({
          account: slotAccount,
          ipKey,
          now,
          guard: compiled.guard,
          knownIpTtlMs: compiled.knownIpTtlMs,
          onlyIfThrottled: true,
        })
      : null;
    let ip: IpPrecheckResult;
    let acct: AccountPrecheckResult | null = null;
    if (acctReply === null) {
      ip = await ipReply;
    } else {
      [ip, acct] = await Promise.all([ipReply, acctReply]);
    }
    if (ip.block !== null) return { decision: this.#blocked(attempt, ipKey, ip, policy), ip };
    // Lifted elsewhere (or expired): a cached copy on this instance must not answer again.
    this.#cache.delete(ipKey);
    const ticket = {
      attempt,
      reservation: ip.reservation,
      ipKey,
      accountKey: slotAccount,
      isExempt,
    };
    // Nothing over a limit and no throttle in force: every rule below would return
    // NO_VERDICT (no refusal, no event), so allow without evaluating them.
    if (
      !ip.isBusy &&
      ip.monitored.length === 0 &&
      (acct === null || acct.throttledUntil <= now || acct.isKnownIp)
    ) {
      return { decision: allow(ticket), ip };
    }
    const verdicts: RuleVerdict[] = [
      this.#botVerdict(attempt, ip, policy, isExempt),
      evaluateBruteForce(
        { ...ip, created: null, isOverLimit: ip.monitored.includes('brute_force') },
        rules.brute_force,
        modeOf(rules.brute_force.mode, isExempt),
        now,
      ),
    ];
    if (acct !== null) {
      const mode = modeOf(rules.account_guard.mode, isExempt);
      verdicts.push(evaluateAccountGuardPrecheck(acct, rules.account_guard, mode, now));
    }
    return { decision: this.#settlePrecheck(ticket, verdicts, compiled), ip };
  }

  // A refusal on a credential route: nothing remains until it ends.
  #refuse(
    verdict: BlockVerdict,
    route: AuthRoute,
    ipKey: string,
    policy: DetectionPolicy,
  ): Refusal {
    return refuse(verdict, quotaOf(route, policy, ipKey, 0, verdict.retryAfterSeconds));
  }

  #botVerdict(
    attempt: Attempt,
    ip: IpPrecheckResult,
    policy: DetectionPolicy,
    isExempt: boolean,
  ): RuleVerdict {
    const rule = policy.rules.bot_activity;
    const counters = {
      requests: ip.requests,
      created: null,
      isOverLimit: ip.monitored.includes('bot_activity'),
    };
    return evaluateBotActivity(
      counters,
      rule,
      attempt.route,
      modeOf(rule.mode, isExempt),
      attempt.now,
    );
  }

  #settlePrecheck(
    ticket: Ticket,
    verdicts: readonly RuleVerdict[],
    compiled: CompiledPolicy,
  ): Decision {
    const { attempt, ipKey, reservation, accountKey } = ticket;
    for (const verdict of verdicts) this.#publishAll(attempt, ipKey, verdict.events, null);
    const refusal = verdicts.find((v) => v.block !== null)?.block ?? null;
    if (refusal === null) return allow(ticket);
    if (reservation !== null && accountKey !== null) {
      // Refused after reserving (account throttle): give the slot back, off the hot path.
      const { bruteForce } = compiled;
      const input = { ipKey, now: attempt.now, account: accountKey, reservation, bruteForce };
      this.#store.recordIp({ ...input, isExempt: false, outcome: 'release' }).catch(() => {});
    }
    return refuse(refusal);
  }

  #blocked(
    attempt: Attempt,
    ipKey: string,
    ip: IpPrecheckResult,
    policy: DetectionPolicy,
  ): Decision {
    const block = ip.block as BlockRecord;
    this.#cache.set(block, attempt.now);
    if (!ip.isBlockCreated) {
      this.#countBlocked(attempt, ipKey, block);
      return refuse(evaluateActiveBlock(block, attempt.route, attempt.now));
    }
    const { rules } = policy;
    const verdict =
      block.rule === 'bot_activity'
        ? evaluateBotActivity(
            { ...ip, created: block, isOverLimit: true },
            rules.bot_activity,
            attempt.route,
            'enforce',
            attempt.now,
          )
        : evaluateBruteForce(
            { ...ip, created: block, isOverLimit: true },
            rules.brute_force,
            'enforce',
            attempt.now,
          );
    this.#publishAll(attempt, ipKey, verdict.events, null);
    return refuse(verdict.block ?? evaluateActiveBlock(block, attempt.route, attempt.now));
  }

  // Every refused request is counted in one `blocked_request` row (at most one per second).
  #countBlocked(attempt: Attempt, ipKey: string, block: BlockRecord): void {
    const details = { blockRule: block.rule, expiresAt: block.expiresAt, manual: block.manual };
    const severity = EVENT_TYPES.blocked_request.severity;
    const event: RuleEvent = { type: 'blocked_request', severity, details };
    this.#hold(`blocked:${ipKey}`, REPEAT_INTERVAL_MS, attempt, ipKey, event, null);
  }

  #hold(
    key: string,
    intervalMs: number,
    attempt: Attempt,
    ipKey: string,
    event: RuleEvent,
    userId: string | null,
  ): void {
    // A copy without the request-bound parts: a held event may wait a second or more.
    const { ip, userAgent, route, requestId, now } = attempt;
    const slim = { ip, userAgent, route, requestId, now, userId: attempt.userId };
    this.#rollup.add(key, now, intervalMs, { attempt: slim, ipKey, event, userId });
  }

  flushEvents(options: { readonly all?: boolean } = {}): void {
    this.#rollup.flush(this.#clock(), options);
  }

  #denylisted(attempt: Attempt, ipKey: string, policy: DetectionPolicy): Refusal {
    const severity = EVENT_TYPES.ip_denylisted.severity;
    const details = { action: 'block' as const };
    const event: RuleEvent = { type: 'ip_denylisted', severity, details };
    this.#hold(`deny:${ipKey}`, REPEAT_INTERVAL_MS, attempt, ipKey, event, null);
    return refuse({
      rule: 'ip_denylisted',
      code: 'IP_BLOCKED',
      message: IP_BLOCKED_MESSAGE,
      retryAfterSeconds: policy.denylistRetryAfterSeconds,
    });
  }

  #checkUserAgent(attempt: Attempt, ipKey: string, mode: RuleRunMode): void {
    const event = evaluateUserAgent(this.#userAgents.classify(attempt.userAgent), mode);
    if (event === null) return;
    this.#hold(`ua:${ipKey}`, USER_AGENT_INTERVAL_MS, attempt, ipKey, event, null);
  }

  async record(ticket: Ticket, outcome: Outcome): Promise<RateQuota | null> {
    const policy = this.#policy();
    const now = this.#clock();
    if (outcome.kind === 'refreshed') {
      await this.#recordRefresh(ticket, outcome.userId, policy, now);
      return null;
    }
    if (ticket.attempt.route !== 'login') return null;
    if (outcome.kind === 'login_failed' || outcome.kind === 'login_succeeded') {
      return this.#recordLogin(ticket, outcome, policy, now);
    }
    // Only login tickets hold a reservation, and those carry the account key.
    if (ticket.reservation === null || ticket.accountKey === null) return null;
    await this.#store.recordIp({
      ipKey: ticket.ipKey,
      now,
      account: ticket.accountKey,
      reservation: ticket.reservation,
      outcome: 'release',
      bruteForce: this.#compiled(policy).bruteForce,
      isExempt: ticket.isExempt,
    });
    return null;
  }

  async #recordLogin(
    ticket: Ticket,
    outcome: Extract<Outcome, { kind: 'login_failed' | 'login_succeeded' }>,
    policy: DetectionPolicy,
    now: number,
  ): Promise<RateQuota> {
    const { attempt, reservation, ipKey, isExempt } = ticket;
    // A login flagged refused-before-check has no key yet: one recorded anyway still counts.
    const account = ticket.accountKey ?? hashAccount(attempt.account ?? '');
    const { rules } = policy;
    const compiled = this.#compiled(policy);
    const isSuccess = outcome.kind === 'login_succeeded';
    const [ip, acct] = await Promise.all([
      this.#store.recordIp({
        ipKey,
        now,
        account,
        reservation,
        outcome: isSuccess ? 'success' : 'failure',
        bruteForce: compiled.bruteForce,
        isExempt,
      }),
      this.#store.recordAccount({
        account,
        ipKey,
        ip: attempt.ip,
        now,
        outcome: isSuccess ? 'success' : 'failure',
        deviceId: isSuccess ? outcome.deviceId : null,
        guard: compiled.guard,
        knownIpTtlMs: compiled.knownIpTtlMs,
        knownIpMax: policy.knownIps.max,
        devicesWindowMs: rules.multiple_devices.windowMs,
      }),
    ]);
    if (ip.block !== null) this.#cache.set(ip.block, now);
    const events: RuleEvent[] = [
      ...evaluateBruteForce(
        {
          failures: ip.failures,
          pending: 0,
          created: ip.block,
          isBusy: false,
          isOverLimit: ip.isMonitored,
        },
        rules.brute_force,
        modeOf(rules.brute_force.mode, isExempt),
        now,
      ).events,
      ...evaluateAccountGuardRecord(
        acct,
        rules.account_guard,
        modeOf(rules.account_guard.mode, false),
      ).events,
    ];
    if (isSuccess) {
      const devices = evaluateMultipleDevices(
        acct,
        rules.multiple_devices,
        rules.multiple_devices.mode,
      );
      const current = { ip: attempt.ip, ipKey, at: now };
      if (devices !== null) events.push(devices);
      events.push(
        ...evaluateAccountTakeover(
          acct.previousLogin,
          current,
          rules.account_takeover,
          rules.account_takeover.mode,
          this.#locate,
        ),
      );
    }
    this.#publishAll({ ...attempt, now }, ipKey, events, isSuccess ? outcome.userId : null);
    const blockedForSeconds = ip.block === null ? 0 : rules.brute_force.blockSeconds;
    const remaining = rules.brute_force.limit - ip.failures;
    return quotaOf('login', policy, ipKey, ip.block === null ? remaining : 0, blockedForSeconds);
  }

  async #recordRefresh(
    ticket: Ticket,
    userId: string,
    policy: DetectionPolicy,
    now: number,
  ): Promise<void> {
    const rule = policy.rules.rapid_token_refresh;
    const refreshes = await this.#store.countRefresh({ userId, now, windowMs: rule.windowMs });
    const event = evaluateRapidTokenRefresh(refreshes, rule, rule.mode);
    if (event !== null) this.#publish({ ...ticket.attempt, now }, ticket.ipKey, event, userId);
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

  forgetCachedBlock(ipKey: string): void {
    this.#cache.delete(ipKey);
  }

  #compiled(policy: DetectionPolicy): CompiledPolicy {
    let compiled = this.#compiledPolicies.get(policy);
    if (compiled === undefined) {
      const { rules } = policy;
      compiled = {
        allow: parseCidrList(policy.allowlist),
        deny: parseCidrList(policy.denylist),
        bruteForce: toBruteForceLimits(rules.brute_force),
        botActivity: toBotActivityLimits(rules.bot_activity),
        guard: toAccountGuardLimits(rules.account_guard),
        knownIpTtlMs: policy.knownIps.ttlDays * 86_400_000,
      };
      this.#compiledPolicies.set(policy, compiled);
    }
    return compiled;
  }

  #publishAll(
    attempt: Attempt,
    ipKey: string,
    events: readonly RuleEvent[],
    userId: string | null,
  ): void {
    for (const event of events) {
      // Repeating kinds (throttle, monitor-only) at most once per IP and type per second.
      const action = 'action' in event.details ? event.details.action : undefined;
      const isRepeating = action === 'none' || action === 'throttle';
      if (isRepeating) {
        const key = `${event.type}:${String(action)}:${ipKey}`;
        this.#hold(key, REPEAT_INTERVAL_MS, attempt, ipKey, event, userId);
      } else {
        this.#publish(attempt, ipKey, event, userId);
      }
    }
  }

  #publish<T extends RuleEventType>(
    attempt: Attempt,
    ipKey: string,
    event: RuleEventOf<T>,
    userId: string | null,
  ): void {
    const published: SecurityEventOf<T> = {
      type: event.type,
      severity: event.severity,
      at: attempt.now,
      ip: attempt.ip,
      userId: userId ?? attempt.userId ?? null,
      userAgent: sanitizeUserAgent(attempt.userAgent),
      rule: event.type,
      requestId: attempt.requestId,
      // RuleEventDetails[T] plus the context is SecurityEventDetails[T] for every T; TypeScript
      // cannot follow an indexed access through a generic T.
      details: { ...event.details, ipKey, route: attempt.route } as SecurityEventDetails[T],
    };
    this.#bus.publish(published);
  }
}

// A canonical dotted-quad IPv4 address (no leading zeros, octets up to 255) is its own key.
const CANONICAL_IPV4 =
  /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** `toClientKey`, without parsing the common case (a canonical IPv4 socket address). */
function clientKeyOf(ip: string, ipv6PrefixLength: number): string {
  return CANONICAL_IPV4.test(ip) ? ip : toClientKey(ip, ipv6PrefixLength);
}

function modeOf(mode: RuleMode, isExempt: boolean): RuleRunMode {
  return isExempt ? 'allowlisted' : mode;
}

function allow(ticket: Ticket): Decision {
  return { action: 'allow', ticket };
}

function refuse(verdict: BlockVerdict, quota?: RateQuota): Refusal {
  return quota === undefined
    ? { action: 'block', ...verdict }
    : { action: 'block', ...verdict, quota };
}

/**
 * The quota of the rule closest to refusing on `route` (brute_force on login, bot_activity on
 * signup). `refusedForSeconds` > 0 is how long a refusal lasts; else the quota is whole again
 * within one window (sliding windows: every counted entry has left it by then).
 */
function quotaOf(
  route: AuthRoute,
  policy: DetectionPolicy,
  clientKey: string,
  remaining: number,
  refusedForSeconds: number,
): RateQuota {
  const isLogin = route === 'login';
  const rule = isLogin ? policy.rules.brute_force : policy.rules.bot_activity;
  const windowSeconds = Math.ceil(rule.windowMs / 1000);
  return {
    rule: isLogin ? 'brute_force' : 'bot_activity',
    limit: rule.limit,
    windowSeconds,
    remaining: Math.max(0, remaining),
    resetSeconds: refusedForSeconds > 0 ? refusedForSeconds : windowSeconds,
    clientKey,
  };
}
