import { defaultSeverity } from './event-types.ts';
import type { OperatorDetails, SecurityEventDetails, SecurityEventOf } from './security-event.ts';

/** Who did an operator action: an admin through the API, or someone at the CLI. */
export type Actor =
  | { readonly kind: 'admin'; readonly userId: string }
  | { readonly kind: 'cli'; readonly osUser: string };

/** How audit events name an actor: the admin's user id, or `cli:<os user>`. */
export function actorName(actor: Actor): string {
  return actor.kind === 'admin' ? actor.userId : `cli:${actor.osUser}`;
}

/** Event types of operator actions (blocks, role changes, account deletion). */
export type OperatorActionType =
  | 'ip_blocked_manually'
  | 'ip_unblocked_manually'
  | 'admin_role_granted'
  | 'admin_role_revoked'
  | 'user_deleted';

/** What an operator action's event is built from. Times are epoch ms. */
export interface OperatorActionInput<T extends OperatorActionType> {
  readonly type: T;
  readonly at: number;
  readonly actor: Actor;
  readonly ip?: string | null;
  /** The account acted on (role change, deletion); else the acting admin's id goes here. */
  readonly subjectUserId?: string;
  readonly details: Omit<SecurityEventDetails[T], keyof OperatorDetails>;
}

/**
 * The audit event of an operator action, at its type's severity from the table.
 * `details.actor` always names who did it; `userId` is the account acted on, or the admin.
 */
export function operatorActionEvent<T extends OperatorActionType>(
  input: OperatorActionInput<T>,
): SecurityEventOf<T> {
  const { actor } = input;
  return {
    type: input.type,
    severity: defaultSeverity(input.type),
    at: input.at,
    ip: input.ip ?? null,
    userId: input.subjectUserId ?? (actor.kind === 'admin' ? actor.userId : null),
    userAgent: null,
    rule: 'manual',
    requestId: null,
    // Omit<…> plus the actor is the details of T; TypeScript cannot follow that through T.
    details: { ...input.details, actor: actorName(actor) } as SecurityEventDetails[T],
  };
}
