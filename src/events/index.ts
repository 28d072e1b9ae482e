export { SecurityEventBus, type SecurityEventListener } from './event-bus.ts';
export { isAtLeast, type SecurityEvent, SEVERITIES, type Severity } from './security-event.ts';
