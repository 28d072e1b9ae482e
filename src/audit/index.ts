export { AuditRecorder, type AuditRecorderOptions } from './audit-recorder.ts';
export {
  type AuditEvent,
  type EventFilter,
  type EventPage,
  InvalidCursorError,
  listEvents,
} from './event-query.ts';
