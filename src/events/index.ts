export { SecurityEventBus, type SecurityEventListener } from './event-bus.ts';
export {
  type Actor,
  actorName,
  type OperatorActionInput,
  operatorActionEvent,
} from './operator-action.ts';
export { isAtLeast, SEVERITIES, type SecurityEvent, type Severity } from './security-event.ts';
