import { isValidCidr } from './client-ip.ts';
import { defaultRulesPolicy, type RulesPolicy } from './rules/registry.ts';

/** `enforce` acts; `monitor` records what the rule would have done and does nothing. */
export type RuleMode = 'enforce' | 'monitor';

/** A rule counting events in a sliding window. */
export interface WindowRulePolicy {
  readonly mode: RuleMode;
  readonly limit: number;
  readonly windowMs: number;
}

/** A windowed rule that blocks the IP when the limit is reached. */
export interface BlockingRulePolicy extends WindowRulePolicy {
  readonly blockSeconds: number;
}

/** Per-account credential-stuffing guard: throttles IPs never seen in a successful login. */
export interface AccountGuardPolicy {
  readonly mode: RuleMode;
  readonly failureLimit: number;
  readonly distinctIpLimit: number;
  readonly windowMs: number;
  readonly throttleSeconds: number;
}

/** The detection policy (SPEC §3). Every number is a positive integer; units in names. */
export interface DetectionPolicy {
  /** Each rule's policy, by name (see `rules/registry.ts`). */
  readonly rules: RulesPolicy;
  /** CIDRs never blocked (still recorded). */
  readonly allowlist: readonly string[];
  /** CIDRs always refused. */
  readonly denylist: readonly string[];
  readonly denylistRetryAfterSeconds: number;
  /** How long and how many IPs of successful logins an account remembers. */
  readonly knownIps: { readonly ttlDays: number; readonly max: number };
  readonly ipv6PrefixLength: number;
  /** IP reputation: how events score a client key and how the score tightens the rules. */
  readonly reputation: ReputationPolicy;
}

/**
 * IP reputation (0–100 per client key). Each published event of a weighted type adds its
 * weight (a block, a throttle started; not repeats or monitor-only reports, and not a user
 * agent, which repeats once a minute for any scripted client and would saturate the score); the score halves every `halfLifeMs`. At `tightenAt` or more the brute_force and
 * bot_activity limits are halved (rounded up); at `strictAt` or more the first failed login
 * blocks. An IP on a seed list (`REPUTATION_LISTS`) scores at least `listedScore`. `monitor`:
 * scores are kept and shown, limits are not tightened.
 */
export interface ReputationPolicy {
  readonly mode: RuleMode;
  readonly halfLifeMs: number;
  readonly tightenAt: number;
  readonly strictAt: number;
  readonly listedScore: number;
  readonly weights: {
    readonly brute_force: number;
    readonly bot_activity: number;
    readonly account_guard: number;
  };
}

/** SPEC §3 defaults; each rule's own are in its file (**(origin)** numbers for the first six). */
export const DEFAULT_POLICY: DetectionPolicy = {
  rules: defaultRulesPolicy(),
  allowlist: [],
  denylist: [],
  denylistRetryAfterSeconds: 86_400,
  knownIps: { ttlDays: 90, max: 50 },
  ipv6PrefixLength: 64,
  reputation: {
    mode: 'enforce',
    halfLifeMs: 86_400_000,
    tightenAt: 50,
    strictAt: 80,
    listedScore: 60,
    weights: { brute_force: 30, bot_activity: 30, account_guard: 10 },
  },
};

/** Result of `parsePolicy`: the merged policy, or one plain line per problem. */
export type PolicyParseResult =
  | { readonly ok: true; readonly policy: DetectionPolicy }
  | { readonly ok: false; readonly problems: readonly string[] };

/**
 * Merges a (partial) policy object over the defaults and validates it. Problems name the
 * JSON path: `rules.brute_force.limit: must be a positive integer, got -1`.
 */
export function parsePolicy(
  input: unknown,
  defaults: DetectionPolicy = DEFAULT_POLICY,
): PolicyParseResult {
  const problems: string[] = [];
  const merged = mergeValue(defaults, input, '', problems);
  if (isRecord(merged)) {
    const prefix = merged.ipv6PrefixLength;
    if (typeof prefix === 'number' && prefix > 128) {
      problems.push(`ipv6PrefixLength: must be at most 128, got ${prefix}`);
    }
    problems.push(...scoreProblems(merged.reputation));
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, policy: merged as DetectionPolicy };
}

function mergeValue(base: unknown, input: unknown, path: string, problems: string[]): unknown {
  if (input === undefined) return base;
  const where = path === '' ? '(root)' : path;
  if (Array.isArray(base)) return mergeCidrs(input, where, problems);
  if (isRecord(base)) {
    if (!isRecord(input)) {
      problems.push(`${where}: must be an object`);
      return base;
    }
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(input)) {
      if (!Object.hasOwn(base, key)) problems.push(unknownKeyProblem(path, key, base));
    }
    for (const [key, value] of Object.entries(base)) {
      out[key] = mergeValue(value, input[key], join(path, key), problems);
    }
    return out;
  }
  if (typeof base === 'boolean') {
    if (typeof input !== 'boolean') {
      problems.push(`${where}: must be true or false, got ${JSON.stringify(input)}`);
    }
    return input;
  }
  if (typeof base === 'number') {
    if (typeof input !== 'number' || !Number.isSafeInteger(input) || input <= 0) {
      problems.push(`${where}: must be a positive integer, got ${JSON.stringify(input)}`);
    } else if (LIMIT_KEYS.has(lastKey(path)) && input > MAX_RULE_LIMIT) {
      // Windows keep at most this many entries per key: a higher limit could never trigger.
      problems.push(
        `${where}: must be at most ${MAX_RULE_LIMIT} (use mode "monitor" to disable), got ${input}`,
      );
    }
    return input;
  }
  if (input !== 'enforce' && input !== 'monitor') {
    problems.push(`${where}: must be "enforce" or "monitor", got ${JSON.stringify(input)}`);
  }
  return input;
}

/** Largest count limit a rule may have: each window keeps at most this many entries. */
export const MAX_RULE_LIMIT = 1000;
const LIMIT_KEYS = new Set(['limit', 'failureLimit', 'distinctIpLimit']);

function lastKey(path: string): string {
  return path.slice(path.lastIndexOf('.') + 1);
}

function mergeCidrs(input: unknown, where: string, problems: string[]): unknown {
  if (!Array.isArray(input)) {
    problems.push(`${where}: must be an array of IP addresses or CIDR ranges`);
    return [];
  }
  input.forEach((entry, i) => {
    if (typeof entry !== 'string' || !isValidCidr(entry)) {
      problems.push(`${where}[${i}]: not an IP address or CIDR range: ${JSON.stringify(entry)}`);
    }
  });
  return input;
}

// Names what would have been accepted: a typo in a rule name is the usual cause.
function unknownKeyProblem(path: string, key: string, base: Record<string, unknown>): string {
  const kind = path === 'rules' ? 'rule' : 'key';
  return `${join(path, key)}: unknown ${kind}; valid ${kind}s are ${Object.keys(base).join(', ')}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

// Scores are 0–100: a threshold or seed score above 100 could never apply.
function scoreProblems(reputation: unknown): string[] {
  if (!isRecord(reputation)) return [];
  return ['tightenAt', 'strictAt', 'listedScore'].flatMap((key) => {
    const value = reputation[key];
    return typeof value === 'number' && value > 100
      ? [`reputation.${key}: must be at most 100, got ${value}`]
      : [];
  });
}
