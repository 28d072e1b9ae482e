import { hashAccount } from '../detection/account-key.ts';
import type { DetectorPort } from '../http/ports.ts';
import type { LoginOutcome } from './login-outcome-recorder.ts';

/**
 * The detector as the HTTP layer sees it, with every login that reached the password check
 * (its outcome `login_failed` or `login_succeeded`) also handed to `record`. The detector's
 * own answer is unchanged; recording is synchronous and never throws into the request.
 */
export function withLoginHistory(
  detector: DetectorPort,
  record: (outcome: LoginOutcome) => void,
  clock: () => number,
): DetectorPort {
  return {
    precheck: (attempt) => detector.precheck(attempt),
    precheckFromMemory: detector.precheckFromMemory?.bind(detector),
    record: (ticket, outcome) => {
      if (outcome.kind === 'login_failed' || outcome.kind === 'login_succeeded') {
        const { attempt } = ticket;
        record({
          at: clock(),
          clientKey: ticket.ipKey,
          accountKey: ticket.accountKey ?? hashAccount(attempt.account ?? ''),
          outcome: outcome.kind === 'login_succeeded' ? 'success' : 'failure',
        });
      }
      return detector.record(ticket, outcome);
    },
  };
}
