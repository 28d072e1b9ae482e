import type { SecurityEvent } from '../events/security-event.ts';
import type { AlertSample } from './alert-window.ts';

/** Event types never alerted on: an alert about a failed alert could loop forever. */
export const NEVER_ALERTED: ReadonlySet<string> = new Set(['alert_delivery_failed']);

/** What an event contributes to its rule's window: time, IP, account, action, severity. */
export function sampleOf(event: SecurityEvent): AlertSample {
  const details = event.details as Readonly<Record<string, unknown>>;
  const action =
    typeof details.action === 'string' && details.action !== 'none' ? details.action : null;
  return {
    at: event.at,
    ip: event.ip,
    account: event.userId,
    action: action ?? actionOfType(event.type),
    severity: event.severity,
  };
}

// Types whose details carry no `action` but whose handling is an action all the same.
function actionOfType(type: SecurityEvent['type']): string | null {
  switch (type) {
    case 'refresh_token_reuse':
      return 'revoke_family';
    case 'ip_blocked_manually':
      return 'block';
    case 'ip_unblocked_manually':
      return 'unblock';
    case 'user_deleted':
      return 'delete_account';
    default:
      return null;
  }
}
