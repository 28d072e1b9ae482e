/** One recorded login attempt, as the replay sees it. */
export interface ReplayAttempt {
  /** Epoch ms. */
  readonly at: number;
  readonly clientKey: string;
  /** The account key; null for a refused request (its account was never read). */
  readonly accountKey: string | null;
  /**
   * `success` / `failure`: reached the password check (`login_outcomes`). `refused`: turned
   * away by a brute_force block before any check (`blocked_request` rows); under a policy
   * that would not have blocked, it is presumed a failure (an attacker's guess).
   */
  readonly outcome: 'success' | 'failure' | 'refused';
}

/** A brute_force block, recorded or replayed. */
export interface ReplayBlock {
  readonly clientKey: string;
  /** When it started and ended (epoch ms). */
  readonly at: number;
  readonly until: number;
  /** Failures in the window when it started. */
  readonly failures: number;
  /** Account keys those failures were against (refused requests have none). */
  readonly accounts: readonly string[];
}

/** What was recorded in the period: the attempts and the blocks that actually happened. */
export interface RecordedHistory {
  readonly since: number;
  readonly until: number;
  /** Oldest first. */
  readonly attempts: readonly ReplayAttempt[];
  /** brute_force blocks recorded in the audit log (`action: block`), oldest first. */
  readonly blocks: readonly ReplayBlock[];
}
