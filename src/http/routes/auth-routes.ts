import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AppError, UnauthenticatedError } from '../../errors.ts';
import { deviceIdOf, setOutcome } from '../plugins/detection-hook.ts';
import type {
  AccountsPort,
  DetectorPort,
  ErrorTrackerPort,
  RequestContext,
  TokensPort,
} from '../ports.ts';
import {
  ErrorBody,
  LoginBody,
  PublicUserSchema,
  RefreshBody,
  ServiceBusyBody,
  SessionBody,
  SignupBody,
  TooManyRequestsBody,
} from '../schemas.ts';
import { bearerTokenOf } from './bearer.ts';

/** What the auth routes are built from. */
export interface AuthRoutesOptions {
  readonly accounts: AccountsPort;
  readonly tokens: TokensPort;
  /** Unused by the handlers: they set the outcome, the detection hook records it. */
  readonly detector: DetectorPort;
  /** Told the user id once a request is authenticated (error reports carry it). */
  readonly errorTracker: ErrorTrackerPort;
}

const errors = {
  400: ErrorBody,
  401: ErrorBody,
  413: ErrorBody,
  415: ErrorBody,
  429: TooManyRequestsBody,
};
// Signup and login hash a password: a saturated hash queue answers 503.
const hashingErrors = { ...errors, 503: ServiceBusyBody };

/** `/api/auth/*`: signup, login, refresh, logout, me. */
export const authRoutes: FastifyPluginAsyncTypebox<AuthRoutesOptions> = async (app, opts) => {
  const { accounts, tokens, errorTracker } = opts;
  const contextOf = (req: { ip: string; id: string; headers: Record<string, unknown> }) =>
    ({
      ip: req.ip,
      requestId: req.id,
      userAgent: String(req.headers['user-agent'] ?? ''),
    }) satisfies RequestContext;

  app.post(
    '/signup',
    {
      config: { detectionRoute: 'signup' },
      schema: {
        tags: ['auth'],
        operationId: 'signup',
        summary: 'Create an account and start a session',
        body: SignupBody,
        response: { 201: SessionBody, 409: ErrorBody, ...hashingErrors },
      },
    },
    async (request, reply) => {
      let user: Awaited<ReturnType<AccountsPort['signup']>>;
      try {
        user = await accounts.signup(request.body);
      } catch (error) {
        if (error instanceof AppError) setOutcome(request, { kind: 'signup_failed' });
        throw error;
      }
      errorTracker.setUser(user.id);
      setOutcome(request, { kind: 'signup_succeeded', userId: user.id });
      const pair = await tokens.issuePair(user);
      return reply.code(201).send({ user, ...pair });
    },
  );

  app.post(
    '/login',
    {
      config: { detectionRoute: 'login' },
      schema: {
        tags: ['auth'],
        operationId: 'login',
        summary: 'Log in with email and password',
        body: LoginBody,
        response: { 200: SessionBody, ...hashingErrors },
      },
    },
    async (request) => {
      let user: Awaited<ReturnType<AccountsPort['login']>>;
      try {
        user = await accounts.login({ ...request.body, canonicalEmail: request.canonicalEmail });
      } catch (error) {
        if (error instanceof AppError && error.code === 'INVALID_CREDENTIALS') {
          setOutcome(request, { kind: 'login_failed' });
        }
        throw error;
      }
      errorTracker.setUser(user.id);
      const deviceId = deviceIdOf(request);
      setOutcome(request, {
        kind: 'login_succeeded',
        userId: user.id,
        deviceId,
      });
      return { user, ...(await tokens.issuePair(user)) };
    },
  );

  app.post(
    '/refresh',
    {
      config: { detectionRoute: 'refresh' },
      schema: {
        tags: ['auth'],
        operationId: 'refreshTokens',
        summary: 'Rotate the refresh token and get a new access token',
        body: RefreshBody,
        response: { 200: SessionBody, ...errors },
      },
    },
    async (request) => {
      try {
        const { user, ...pair } = await tokens.refresh(
          request.body.refreshToken,
          contextOf(request),
        );
        errorTracker.setUser(user.id);
        setOutcome(request, { kind: 'refreshed', userId: user.id });
        return { user, ...pair };
      } catch (error) {
        setOutcome(request, { kind: 'refresh_failed' });
        throw error;
      }
    },
  );

  app.post(
    '/logout',
    {
      config: { detectionRoute: 'logout' },
      schema: {
        tags: ['auth'],
        operationId: 'logout',
        summary: "Revoke the refresh token's session",
        body: RefreshBody,
        response: { 204: Type.Null({ description: 'Session revoked' }), ...errors },
      },
    },
    async (request, reply) => {
      await tokens.logout(request.body.refreshToken);
      setOutcome(request, { kind: 'other' });
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/me',
    {
      config: { detectionRoute: 'me' },
      schema: {
        tags: ['auth'],
        operationId: 'getCurrentUser',
        summary: 'The user of the access token',
        security: [{ bearerAuth: [] }],
        response: { 200: Type.Object({ user: PublicUserSchema }), ...errors },
      },
    },
    async (request) => {
      const claims = await tokens.verifyAccess(bearerTokenOf(request.headers.authorization));
      errorTracker.setUser(claims.sub);
      const user = await accounts.getUser(claims.sub);
      if (!user) throw new UnauthenticatedError('The account of this token no longer exists');
      setOutcome(request, { kind: 'other' });
      return { user };
    },
  );
};
