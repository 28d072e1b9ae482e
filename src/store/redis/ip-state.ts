import type { BlockRecord } from '../counter-store.ts';
import { asArray, decodeBlock } from './replies.ts';

/**
 * The active block in an IP's state string `<bot>|<slots>|<block json>` (see `IP_HELPERS`):
 * the block is everything after the second '|'. Null when none, or expired at `now`.
 */
export function blockOfState(ipKey: string, raw: string | null, now: number): BlockRecord | null {
  const at = raw === null ? -1 : raw.indexOf('|', raw.indexOf('|') + 1);
  const json = raw === null || at < 0 ? '' : raw.slice(at + 1);
  const block = json === '' ? null : decodeBlock(ipKey, asArray(JSON.parse(json)), 0);
  return block !== null && block.expiresAt > now ? block : null;
}
