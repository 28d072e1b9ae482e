export { BatchWriter, type BatchWriterOptions } from './batch-writer.ts';
export {
  createLoginHistory,
  type LoginHistory,
  type LoginHistoryOptions,
} from './create-login-history.ts';
export { withLoginHistory } from './login-history-port.ts';
export { PRUNE_BATCH_ROWS, pruneLoginHistory } from './login-history-retention.ts';
export {
  type LoginOutcome,
  LoginOutcomeRecorder,
  type LoginOutcomeRecorderOptions,
} from './login-outcome-recorder.ts';
export { readLoginOutcomes } from './read-login-outcomes.ts';
