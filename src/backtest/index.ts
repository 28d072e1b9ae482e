export { type BlockDiff, diffBlocks } from './diff-blocks.ts';
export { formatBacktest } from './format-backtest.ts';
export type { RecordedHistory, ReplayAttempt, ReplayBlock } from './history-record.ts';
export { BacktestTooLargeError, loadHistory, MAX_REPLAYED_ATTEMPTS } from './load-history.ts';
export { parseSince } from './parse-since.ts';
export { replayBruteForce } from './replay-brute-force.ts';
export { type BacktestOptions, type BacktestResult, runBacktest } from './run-backtest.ts';
