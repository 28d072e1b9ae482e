import type { ReplayBlock } from './history-record.ts';
import type { BacktestResult } from './run-backtest.ts';

/** The result as lines for a terminal. */
export function formatBacktest(result: BacktestResult): string {
  const iso = (ms: number) => new Date(ms).toISOString();
  const line = (sign: string, b: ReplayBlock) =>
    `  ${sign} ${b.clientKey}  ${iso(b.at)} → ${iso(b.until)}  ${b.failures} failures, accounts ${b.accounts.join(', ') || '-'}`;
  const { replayed } = result;
  return [
    `Backtest ${iso(result.since)} → ${iso(result.until)}`,
    `Replayed ${replayed.loginOutcomes} login outcomes, ${replayed.refusedRequests} refused requests, ${replayed.recordedBlocks} recorded brute_force blocks.`,
    `Blocks added: ${result.blocksAdded.length}`,
    ...result.blocksAdded.map((b) => line('+', b)),
    `Blocks removed: ${result.blocksRemoved.length}`,
    ...result.blocksRemoved.map((b) => line('-', b)),
    `Blocks unchanged: ${result.blocksKept}`,
    `IPs affected: ${result.ipsAffected.join(', ') || 'none'}`,
    `Accounts affected (account keys): ${result.accountsAffected.join(', ') || 'none'}`,
    `Not replayed: ${result.notReplayed.join(', ')}`,
    '',
  ].join('\n');
}
