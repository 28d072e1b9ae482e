import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  type ActiveAdminSession,
  isCsrfTokenValid,
  type NewAdminSession,
} from '../../admin-session/index.ts';
import { AppError, ForbiddenError, UnauthenticatedError } from '../../errors.ts';
import {
  ADMIN_COOKIE_PATH,
  ADMIN_SESSION_COOKIE,
  type AdminSessionPort,
  CSRF_HEADER,
} from '../admin-auth.ts';
import { deviceIdOf, setOutcome } from '../plugins/detection-hook.ts';
import type { AccountsPort } from '../ports.ts';
import { ErrorBody, LoginBody, ServiceBusyBody, TooManyRequestsBody } from '../schemas.ts';

/** Dashboard sessions: start, read, end (see `AdminSessionStore`). */
export interface AdminSessionsPort extends AdminSessionPort {
  create(userId: string): Promise<NewAdminSession>;
  revoke(token: string): Promise<void>;
}

/** What the session routes are built from. */
export interface AdminSessionRoutesOptions {
  readonly accounts: Pick<AccountsPort, 'login' | 'getUser'>;
  readonly sessions: AdminSessionsPort;
  /** Minutes of inactivity that end a session (shown to the admin). */
  readonly idleMinutes: number;
  /** `PUBLIC_URL` (null when unset): an https one makes the session cookie always Secure. */
  readonly publicUrl: string | null;
}

const SessionInfo = Type.Object({
  user: Type.Object({ id: Type.String(), email: Type.String(), name: Type.String() }),
  csrfToken: Type.String(),
  idleMinutes: Type.Integer(),
});
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody };

/**
 * `/api/admin/session`: the dashboard's sign-in (through the same detector hooks and account
 * check as `/api/auth/login`, admin role required), its state, and sign-out.
 */
export const adminSessionRoutes: FastifyPluginAsyncTypebox<AdminSessionRoutesOptions> = async (
  app,
  opts,
) => {
  const { accounts, sessions } = opts;
  const isPublicUrlHttps = opts.publicUrl?.toLowerCase().startsWith('https:') === true;
  const infoOf = async (session: ActiveAdminSession) => {
    const user = await accounts.getUser(session.userId);
    if (user?.role !== 'admin') throw new ForbiddenError('This account is not an admin');
    const { id, email, name } = user;
    return {
      user: { id, email, name },
      csrfToken: session.csrfToken,
      idleMinutes: opts.idleMinutes,
    };
  };

  app.post(
    '/',
    {
      config: { detectionRoute: 'login' },
      schema: {
        tags: ['admin'],
        operationId: 'startAdminSession',
        summary: 'Dashboard sign-in: sets the session cookie (admin role required)',
        body: LoginBody,
        response: { 200: SessionInfo, ...errors, 429: TooManyRequestsBody, 503: ServiceBusyBody },
      },
    },
    async (request, reply) => {
      let user: Awaited<ReturnType<AccountsPort['login']>>;
      try {
        user = await accounts.login({ ...request.body, canonicalEmail: request.canonicalEmail });
      } catch (error) {
        if (error instanceof AppError && error.code === 'INVALID_CREDENTIALS')
          setOutcome(request, { kind: 'login_failed' });
        throw error;
      }
      // The password was right: the detector learns it like any login (in onSend), then the
      // role decides.
      setOutcome(request, {
        kind: 'login_succeeded',
        userId: user.id,
        deviceId: deviceIdOf(request),
      });
      if (user.role !== 'admin') throw new ForbiddenError('This account is not an admin');
      const session = await sessions.create(user.id);
      setSessionCookie(reply, session.token, {
        isSecure: isPublicUrlHttps || request.protocol === 'https',
      });
      return infoOf(session);
    },
  );

  // Signed out is an answer here, not an error: the dashboard asks this on every page load.
  app.get(
    '/',
    {
      schema: {
        tags: ['admin'],
        operationId: 'getAdminSession',
        summary: "Whether this browser is signed in: the admin and the session's CSRF token",
        response: {
          200: Type.Union([
            Type.Composite([Type.Object({ signedIn: Type.Literal(true) }), SessionInfo]),
            Type.Object({ signedIn: Type.Literal(false) }),
          ]),
          ...errors,
        },
      },
    },
    async (request) => {
      const token = request.cookies[ADMIN_SESSION_COOKIE];
      const session = token ? await sessions.resolve(token, { slide: true }) : null;
      if (!session) return { signedIn: false as const };
      return { signedIn: true as const, ...(await infoOf(session)) };
    },
  );

  app.delete(
    '/',
    {
      schema: {
        tags: ['admin'],
        operationId: 'endAdminSession',
        summary: 'Dashboard sign-out (CSRF token required)',
        response: { 204: Type.Null({ description: 'Signed out' }), ...errors },
      },
    },
    async (request, reply) => {
      const session = await requireSession(request, sessions);
      const presented = request.headers[CSRF_HEADER];
      if (typeof presented !== 'string' || !isCsrfTokenValid(session, presented))
        throw new ForbiddenError('CSRF token missing or wrong: reload the dashboard');
      await sessions.revoke(String(request.cookies[ADMIN_SESSION_COOKIE]));
      void reply.clearCookie(ADMIN_SESSION_COOKIE, { path: ADMIN_COOKIE_PATH });
      return reply.code(204).send(null);
    },
  );
};

async function requireSession(
  request: FastifyRequest,
  sessions: AdminSessionPort,
): Promise<ActiveAdminSession> {
  const token = request.cookies[ADMIN_SESSION_COOKIE];
  const session = token ? await sessions.resolve(token, { slide: true }) : null;
  if (!session)
    throw new UnauthenticatedError('Dashboard session expired or signed out: sign in again');
  return session;
}

// Secure whenever the browser reached us over https: directly, through a trusted proxy, or, as
// an https PUBLIC_URL says, through a TLS-terminating proxy left out of TRUST_PROXY (the request
// then looks like http, and a cookie without Secure could later leak over plain http).
function setSessionCookie(
  reply: FastifyReply,
  token: string,
  options: { readonly isSecure: boolean },
): void {
  void reply.setCookie(ADMIN_SESSION_COOKIE, token, {
    httpOnly: true,
    secure: options.isSecure,
    sameSite: 'strict',
    path: ADMIN_COOKIE_PATH,
  });
}
