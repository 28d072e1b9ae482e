import type { UsersTable } from '../db/index.ts';
import { InvalidRefreshTokenError } from '../errors.ts';
import type { AccessClaims, AccessTokens } from './access-tokens.ts';
import type { RefreshTokens, RequestContext } from './refresh-tokens.ts';

/** The least a user must carry to get tokens. */
export interface TokenSubject {
  readonly id: string;
  readonly role: UsersTable['role'];
}

/** What the API returns after signup, login and refresh. `expiresIn` is in seconds. */
export interface TokenPair {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly expiresIn: number;
}

/** Dependencies of {@link TokenService}; `users` loads the current user on refresh. */
export interface TokenServiceOptions<U extends TokenSubject> {
  readonly accessTokens: AccessTokens;
  readonly refreshTokens: RefreshTokens;
  readonly users: { getUser(id: string): Promise<U | null> };
}

/**
 * Access + refresh token pairs: issue at login, rotate on refresh (with the user's current
 * role), revoke at logout, verify access tokens for protected routes.
 */
export class TokenService<U extends TokenSubject> {
  readonly #access: AccessTokens;
  readonly #refresh: RefreshTokens;
  readonly #users: TokenServiceOptions<U>['users'];

  constructor(options: TokenServiceOptions<U>) {
    this.#access = options.accessTokens;
    this.#refresh = options.refreshTokens;
    this.#users = options.users;
  }

  /** Issues an access token and a refresh token in a new family. */
  async issuePair(user: TokenSubject): Promise<TokenPair> {
    const refresh = await this.#refresh.issue(user.id);
    const access = await this.#access.sign({ sub: user.id, role: user.role });
    return { accessToken: access.token, refreshToken: refresh.token, expiresIn: access.expiresIn };
  }

  /**
   * Rotates the refresh token and signs a new access token with the user's current role.
   * Throws InvalidRefreshTokenError (see RefreshTokens.rotate), also if the user is gone.
   */
  async refresh(refreshToken: string, context: RequestContext): Promise<TokenPair & { user: U }> {
    const next = await this.#refresh.rotate(refreshToken, context);
    const user = await this.#users.getUser(next.userId);
    if (!user) {
      await this.#refresh.revokeFamily(next.familyId);
      throw new InvalidRefreshTokenError();
    }
    const access = await this.#access.sign({ sub: user.id, role: user.role });
    return {
      accessToken: access.token,
      refreshToken: next.token,
      expiresIn: access.expiresIn,
      user,
    };
  }

  /** Revokes the refresh token's session; idempotent, unknown tokens are fine. */
  logout(refreshToken: string): Promise<void> {
    return this.#refresh.revoke(refreshToken);
  }

  /** Verifies a bearer access token. Throws UnauthenticatedError. */
  verifyAccess(accessToken: string): Promise<AccessClaims> {
    return this.#access.verify(accessToken);
  }
}
