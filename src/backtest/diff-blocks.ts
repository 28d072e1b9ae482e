import type { ReplayBlock } from './history-record.ts';

/** Blocks that would have been added or removed, and how many stay the same. */
export interface BlockDiff {
  readonly added: readonly ReplayBlock[];
  readonly removed: readonly ReplayBlock[];
  readonly kept: number;
}

/**
 * Pairs recorded and replayed blocks of one client key whose periods overlap (the same block,
 * perhaps starting earlier or later); what is left unpaired was added or removed.
 */
export function diffBlocks(
  recorded: readonly ReplayBlock[],
  replayed: readonly ReplayBlock[],
): BlockDiff {
  const unpaired = new Set(replayed);
  const removed: ReplayBlock[] = [];
  let kept = 0;
  for (const block of recorded) {
    const match = [...unpaired].find(
      (r) => r.clientKey === block.clientKey && r.at < block.until && block.at < r.until,
    );
    if (match === undefined) {
      removed.push(block);
    } else {
      unpaired.delete(match);
      kept += 1;
    }
  }
  return { added: [...unpaired], removed, kept };
}
