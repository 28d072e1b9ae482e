import type { RuleEventType } from '../../events/index.ts';
import type {
  AccountPrecheckResult,
  AccountRecordResult,
  IpPrecheckResult,
  IpRecordResult,
  LastLogin,
} from '../../store/index.ts';
import type { AuthRoute } from '../attempt.ts';
import type { RuleMode } from '../policy.ts';
import type { GeoLocator } from './account-takeover.ts';
import type { RuleEvent, RuleRunMode, RuleVerdict } from './verdict.ts';

/** What the store answered before a credential request's password check. */
export interface PrecheckState {
  readonly route: AuthRoute;
  readonly ip: IpPrecheckResult;
  /** Read only when the account may be throttled; null otherwise. */
  readonly account: AccountPrecheckResult | null;
}

/** What the store answered after a login's password check. */
export interface LoginRecordState {
  readonly isSuccess: boolean;
  readonly ip: IpRecordResult;
  readonly account: AccountRecordResult;
  /** This login (its IP, key and time), for rules comparing it with the previous one. */
  readonly current: LastLogin;
  /** Geography seam (account_takeover); null when no locator is configured. */
  readonly locate: GeoLocator | null;
}

/** The fields every rule's policy has. */
export interface RulePolicyBase {
  readonly mode: RuleMode;
}

/**
 * A detection rule: its policy schema (the defaults: every number a positive integer, `mode`
 * enforce | monitor; `parsePolicy` validates a file against them), its event types, and its
 * decisions, each a pure function of state, policy, run mode and `now`. A rule has a decision
 * for each phase it takes part in. Adding a rule: its file, plus one line in `registry.ts`.
 */
export interface DetectionRule<N extends string, P extends RulePolicyBase> {
  readonly name: N;
  /** Policy schema: the defaults (SPEC §3), which also fix each key's type. */
  readonly defaults: P;
  readonly eventTypes: readonly RuleEventType[];
  /**
   * What the rule counts: an IP's requests (`ip`: an allowlisted IP is never refused and its
   * events say `allowlisted`), or an account's (`account`: the allowlist applies only where a
   * refusal would fall on the IP, at precheck).
   */
  readonly scope: 'ip' | 'account';
  /** Credential routes, with the store's answer: a refusal and/or events, or NO_VERDICT. */
  readonly precheck?: (
    state: PrecheckState,
    policy: P,
    mode: RuleRunMode,
    now: number,
  ) => RuleVerdict;
  /** Every auth route, before the store: events from the request alone (no refusal). */
  readonly inspect?: (category: string | null, policy: P, mode: RuleRunMode) => RuleEvent | null;
  /** After a login's password check. */
  readonly recordLogin?: (
    state: LoginRecordState,
    policy: P,
    mode: RuleRunMode,
    now: number,
  ) => readonly RuleEvent[];
  /** After a token refresh, with the user's refreshes in the rule's window. */
  readonly recordRefresh?: (refreshes: number, policy: P, mode: RuleRunMode) => RuleEvent | null;
}

/** Any rule, with its policy type erased (the registry's element type). */
// biome-ignore lint/suspicious/noExplicitAny: a registry holds rules of different policy types.
export type AnyRule = DetectionRule<string, any>;
