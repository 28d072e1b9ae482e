import { parseCidrList } from '../detection/client-ip.ts';
import type { DetectionPolicy } from '../detection/policy.ts';
import type { ReplayAttempt, ReplayBlock } from './history-record.ts';

interface KeyState {
  /** Failures in the sliding window, oldest first. */
  failures: { at: number; accountKey: string | null }[];
  blockedUntil: number;
}

/**
 * Replays brute_force over recorded attempts under `policy`: per client key a sliding window of
 * failures; the failure that brings it to the limit blocks the key for `blockSeconds`; attempts
 * during a block are refused (not counted); a success clears that key's failures against that
 * account only. Monitor mode and allowlisted addresses never block. Pure.
 */
export function replayBruteForce(
  attempts: readonly ReplayAttempt[],
  policy: DetectionPolicy,
): ReplayBlock[] {
  const rule = policy.rules.brute_force;
  if (rule.mode !== 'enforce') return [];
  const allow = parseCidrList(policy.allowlist);
  const states = new Map<string, KeyState>();
  const blocks: ReplayBlock[] = [];
  for (const attempt of attempts) {
    let state = states.get(attempt.clientKey);
    if (state === undefined) {
      state = { failures: [], blockedUntil: 0 };
      states.set(attempt.clientKey, state);
    }
    if (attempt.at < state.blockedUntil) continue;
    const windowStart = attempt.at - rule.windowMs;
    state.failures = state.failures.filter((f) => f.at > windowStart);
    if (attempt.outcome === 'success') {
      state.failures = state.failures.filter((f) => f.accountKey !== attempt.accountKey);
      continue;
    }
    state.failures.push({ at: attempt.at, accountKey: attempt.accountKey });
    if (state.failures.length < rule.limit || isAllowed(allow, attempt.clientKey)) continue;
    const until = attempt.at + rule.blockSeconds * 1000;
    blocks.push({
      clientKey: attempt.clientKey,
      at: attempt.at,
      until,
      failures: state.failures.length,
      accounts: accountsOf(state.failures),
    });
    state.blockedUntil = until;
    state.failures = [];
  }
  return blocks;
}

/** The distinct account keys of `failures`, in first-seen order. */
export function accountsOf(failures: readonly { accountKey: string | null }[]): string[] {
  const keys = new Set<string>();
  for (const f of failures) if (f.accountKey !== null) keys.add(f.accountKey);
  return [...keys];
}

// An IPv6 client key is its /64 (`2001:db8::/64`): the allowlist is asked about its address.
function isAllowed(allow: ReturnType<typeof parseCidrList>, clientKey: string): boolean {
  const slash = clientKey.indexOf('/');
  return allow.matches(slash === -1 ? clientKey : clientKey.slice(0, slash));
}
