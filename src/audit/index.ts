export { AuditRecorder, type AuditRecorderOptions } from './audit-recorder.ts';
export {
  type AuditRetentionRun,
  DEFAULT_AUDIT_RETENTION_DAYS,
  DEFAULT_RETENTION_BATCH_SIZE,
  deleteExpiredEvents,
} from './audit-retention.ts';
export {
  type AuditEvent,
  type EventFilter,
  type EventPage,
  InvalidCursorError,
  listEvents,
} from './event-query.ts';
