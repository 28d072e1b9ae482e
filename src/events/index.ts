export { SecurityEventBus, type SecurityEventListener } from './event-bus.ts';
export { isAtLeast, SEVERITIES, type SecurityEvent, type Severity } from './security-event.ts';
