import type { AccountService } from './accounts/index.ts';
import { type Actor, operatorActionEvent, type SecurityEventBus } from './events/index.ts';
import type { UsersPort } from './http/routes/admin-routes.ts';
import type { RefreshTokens } from './tokens/index.ts';

/**
 * Account deletion by an admin: every session of the account is revoked first (so no refresh
 * token outlives it, whatever the foreign keys do), then the account goes, audited with the actor.
 */
export function createUsersAdapter(deps: {
  readonly accounts: Pick<AccountService, 'deleteUser'>;
  readonly refreshTokens: Pick<RefreshTokens, 'revokeUser'>;
  readonly bus: SecurityEventBus;
  readonly clock: () => number;
}): UsersPort {
  return {
    delete: async (userId: string, actor: Actor) => {
      const revokedTokens = await deps.refreshTokens.revokeUser(userId);
      const deleted = await deps.accounts.deleteUser(userId);
      if (deleted) {
        deps.bus.publish(
          operatorActionEvent({
            type: 'user_deleted',
            at: deps.clock(),
            actor,
            subjectUserId: userId,
            details: { revokedTokens },
          }),
        );
      }
      return deleted;
    },
  };
}
