import type { BlockRecord } from '../../store/index.ts';
import type { AuthRoute } from '../attempt.ts';
import { botActivityMessage } from './bot-activity.ts';
import { BRUTE_FORCE_MESSAGE } from './brute-force.ts';
import { type BlockVerdict, secondsUntil } from './verdict.ts';

/** The 429 text of a manual (or other) IP block. */
export const IP_BLOCKED_MESSAGE = 'Your IP has been temporarily blocked.';

/** The refusal for a request from an IP under an active block, worded by the block's rule. */
export function evaluateActiveBlock(
  block: BlockRecord,
  route: AuthRoute,
  now: number,
): BlockVerdict {
  const message =
    block.rule === 'brute_force'
      ? BRUTE_FORCE_MESSAGE
      : block.rule === 'bot_activity'
        ? botActivityMessage(route)
        : IP_BLOCKED_MESSAGE;
  return {
    rule: block.rule,
    code: 'IP_BLOCKED',
    message,
    retryAfterSeconds: secondsUntil(block.expiresAt, now),
  };
}
