import type { Kysely } from 'kysely';
import type { Database } from '../db/index.ts';
import type { DetectionPolicy } from '../detection/policy.ts';
import { diffBlocks } from './diff-blocks.ts';
import type { ReplayBlock } from './history-record.ts';
import { loadHistory } from './load-history.ts';
import { replayBruteForce } from './replay-brute-force.ts';

/** What a policy would have changed over a recorded period. Times epoch ms. */
export interface BacktestResult {
  readonly since: number;
  readonly until: number;
  /** What was replayed. */
  readonly replayed: {
    readonly loginOutcomes: number;
    /** Requests a brute_force block turned away (presumed failures under a looser policy). */
    readonly refusedRequests: number;
    readonly recordedBlocks: number;
  };
  /** Blocks the policy would have added (not recorded). */
  readonly blocksAdded: readonly ReplayBlock[];
  /** Recorded blocks the policy would not have set. */
  readonly blocksRemoved: readonly ReplayBlock[];
  /** Recorded blocks it would have set too. */
  readonly blocksKept: number;
  /** Client keys (IPs, IPv6 per /64) of added or removed blocks, sorted. */
  readonly ipsAffected: readonly string[];
  /** Account keys (`hashAccount` of the e-mail) those blocks' failures were against, sorted. */
  readonly accountsAffected: readonly string[];
  /** Rules the backtest does not replay (their inputs are not recorded). */
  readonly notReplayed: readonly string[];
}

/** What `runBacktest` needs: the database, the policy to try, and the period. */
export interface BacktestOptions {
  readonly db: Kysely<Database>;
  readonly policy: DetectionPolicy;
  readonly since: number;
  readonly until: number;
}

/**
 * Replays the recorded login outcomes and brute_force refusals of `[since, until]` under
 * `policy` and compares the blocks it would have set with the blocks recorded.
 */
export async function runBacktest(options: BacktestOptions): Promise<BacktestResult> {
  const history = await loadHistory(options.db, options.since, options.until);
  const replayed = replayBruteForce(history.attempts, options.policy);
  const diff = diffBlocks(history.blocks, replayed);
  const changed = [...diff.added, ...diff.removed];
  return {
    since: options.since,
    until: options.until,
    replayed: {
      loginOutcomes: history.attempts.filter((a) => a.outcome !== 'refused').length,
      refusedRequests: history.attempts.filter((a) => a.outcome === 'refused').length,
      recordedBlocks: history.blocks.length,
    },
    blocksAdded: diff.added,
    blocksRemoved: diff.removed,
    blocksKept: diff.kept,
    ipsAffected: [...new Set(changed.map((b) => b.clientKey))].sort(),
    accountsAffected: [...new Set(changed.flatMap((b) => b.accounts))].sort(),
    notReplayed: ['bot_activity', 'account_guard', 'multiple_devices', 'account_takeover'],
  };
}
