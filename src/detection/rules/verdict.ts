import type { RuleEventDetails, RuleEventType, RuleRunMode, Severity } from '../../events/index.ts';

/** A security event of type `T` a rule asks for; the detector adds time, IP, user, UA, request id. */
export interface RuleEventOf<T extends RuleEventType> {
  readonly type: T;
  readonly severity: Severity;
  readonly details: RuleEventDetails[T];
}

/** Any event a rule asks for: a union discriminated on `type`. */
export type RuleEvent = { [T in RuleEventType]: RuleEventOf<T> }[RuleEventType];

/** Machine codes of a refusal (see `src/errors.ts`). */
export type BlockCode = 'IP_BLOCKED' | 'RATE_LIMITED' | 'ACCOUNT_THROTTLED';

/** A refusal: answer 429 before any password or database work. */
export interface BlockVerdict {
  readonly rule: string;
  readonly code: BlockCode;
  readonly message: string;
  readonly retryAfterSeconds: number;
}

/** What a rule decided: maybe a refusal, and the events to publish. */
export interface RuleVerdict {
  readonly block: BlockVerdict | null;
  readonly events: readonly RuleEvent[];
}

/** How a rule ran: enforcing, in monitor mode, or for an allowlisted IP (never blocked). */
export type { RuleRunMode };

/** Nothing to do. */
export const NO_VERDICT: RuleVerdict = { block: null, events: [] };

/** Whole seconds until `untilMs`, at least 1 (a `Retry-After` of 0 invites a retry storm). */
export function secondsUntil(untilMs: number, now: number): number {
  return Math.max(1, Math.ceil((untilMs - now) / 1000));
}
