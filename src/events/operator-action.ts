import type { SecurityEvent, Severity } from './security-event.ts';

/** Who did an operator action: an admin through the API, or someone at the CLI. */
export type Actor =
  | { readonly kind: 'admin'; readonly userId: string }
  | { readonly kind: 'cli'; readonly osUser: string };

/** How audit events name an actor: the admin's user id, or `cli:<os user>`. */
export function actorName(actor: Actor): string {
  return actor.kind === 'admin' ? actor.userId : `cli:${actor.osUser}`;
}

/** What an operator action's event is built from. Times are epoch ms. */
export interface OperatorActionInput {
  readonly type:
    | 'ip_blocked_manually'
    | 'ip_unblocked_manually'
    | 'admin_role_granted'
    | 'admin_role_revoked'
    | 'user_deleted';
  readonly severity: Severity;
  readonly at: number;
  readonly actor: Actor;
  readonly ip?: string | null;
  /** The account acted on (role change, deletion); else the acting admin's id goes here. */
  readonly subjectUserId?: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * The audit event of an operator action (block, unblock, role change, account deletion).
 * `details.actor` always names who did it; `userId` is the account acted on, or the admin.
 */
export function operatorActionEvent(input: OperatorActionInput): SecurityEvent {
  const { actor } = input;
  return {
    type: input.type,
    severity: input.severity,
    at: input.at,
    ip: input.ip ?? null,
    userId: input.subjectUserId ?? (actor.kind === 'admin' ? actor.userId : null),
    userAgent: null,
    rule: 'manual',
    requestId: null,
    details: { ...input.details, actor: actorName(actor) },
  };
}
