export { SecurityEventBus, type SecurityEventListener } from './event-bus.ts';
export {
  defaultSeverity,
  EVENT_TYPES,
  type EventTypeInfo,
  isSecurityEventType,
  SECURITY_EVENT_TYPES,
  type SecurityEventType,
} from './event-types.ts';
export {
  type Actor,
  actorName,
  type OperatorActionInput,
  operatorActionEvent,
} from './operator-action.ts';
export type {
  DetectorEventContext,
  RuleEventDetails,
  RuleEventType,
  RuleRunMode,
  SecurityEvent,
  SecurityEventDetails,
  SecurityEventOf,
} from './security-event.ts';
export { isAtLeast, isSeverity, SEVERITIES, type Severity } from './severity.ts';
