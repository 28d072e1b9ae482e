import type { FastifyRequest } from 'fastify';
import type { ActiveAdminSession } from '../admin-session/index.ts';
import { isCsrfTokenValid } from '../admin-session/index.ts';
import { ForbiddenError, UnauthenticatedError } from '../errors.ts';
import type { AccountsPort, TokensPort } from './ports.ts';
import { bearerTokenOf } from './routes/bearer.ts';

/** Name of the dashboard session cookie (httpOnly, SameSite=Strict, path /api/admin). */
export const ADMIN_SESSION_COOKIE = 'flux_admin_session';
/** Path the session cookie is sent to: the admin API only. */
export const ADMIN_COOKIE_PATH = '/api/admin';
/** Header carrying the session's CSRF token on every state-changing call made with the cookie. */
export const CSRF_HEADER = 'x-csrf-token';
/** Header a dashboard sets on its background polls, so they do not keep an idle session alive. */
export const BACKGROUND_HEADER = 'x-flux-background';

/** Dashboard sessions as the HTTP layer needs them (see `AdminSessionStore`). */
export interface AdminSessionPort {
  resolve(token: string, options: { slide: boolean }): Promise<ActiveAdminSession | null>;
}

/** What `createAdminAuthHook` checks against. */
export interface AdminAuthOptions {
  readonly tokens: Pick<TokensPort, 'verifyAccess'>;
  readonly accounts: Pick<AccountsPort, 'getUser'>;
  /** Dashboard sessions; absent: bearer tokens only. */
  readonly sessions?: AdminSessionPort;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * onRequest hook of the admin API: a bearer token with the admin role (CLI, scripts: no CSRF,
 * no cookie looked at), or else the dashboard session cookie, plus its CSRF token when the
 * method changes state. Either way the account must still be an admin now. Sets `adminId`.
 */
export function createAdminAuthHook(opts: AdminAuthOptions) {
  return async function authenticateAdmin(request: FastifyRequest): Promise<void> {
    const cookie = request.cookies?.[ADMIN_SESSION_COOKIE];
    let userId: string;
    if (request.headers.authorization !== undefined || !opts.sessions || !cookie) {
      const claims = await opts.tokens.verifyAccess(bearerTokenOf(request.headers.authorization));
      if (claims.role !== 'admin') throw new ForbiddenError();
      userId = claims.sub;
    } else {
      userId = (await sessionOf(request, opts.sessions, cookie)).userId;
    }
    // The role in the token may be up to 15 minutes old: a demoted admin loses access now.
    const user = await opts.accounts.getUser(userId);
    if (user?.role !== 'admin') throw new ForbiddenError();
    request.adminId = userId;
  };
}

async function sessionOf(
  request: FastifyRequest,
  sessions: AdminSessionPort,
  cookie: string,
): Promise<ActiveAdminSession> {
  const isBackground = request.headers[BACKGROUND_HEADER] === '1';
  const session = await sessions.resolve(cookie, { slide: !isBackground });
  if (!session)
    throw new UnauthenticatedError('Dashboard session expired or signed out: sign in again');
  if (!SAFE_METHODS.has(request.method)) {
    const presented = request.headers[CSRF_HEADER];
    if (typeof presented !== 'string' || !isCsrfTokenValid(session, presented))
      throw new ForbiddenError('CSRF token missing or wrong: reload the dashboard');
  }
  return session;
}

declare module 'fastify' {
  interface FastifyRequest {
    adminId: string;
  }
}
