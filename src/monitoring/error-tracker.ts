import * as Sentry from '@sentry/node';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { scrubValue } from './scrubber.ts';
import { instrumentFastifyApp } from './sentry-fastify.ts';

/** Where an auth error happened; every field optional, none of them a secret. */
export interface AuthErrorContext {
  /** What was being done, e.g. `rehash`, `audit_write`. */
  readonly operation?: string;
  readonly route?: string;
  readonly requestId?: string;
  readonly userId?: string | null;
  readonly [key: string]: unknown;
}

/**
 * Reports an unexpected error of the authentication path with its context (tags `operation`,
 * `route`, `request_id`; user id only). Returns the Sentry event id, null when Sentry is off.
 * Passes through the same scrubbing and rate limits as every other event.
 */
export function captureAuthError(error: unknown, context: AuthErrorContext): string | null {
  if (!Sentry.isInitialized()) return null;
  return Sentry.withScope((scope) => {
    scope.setTag('area', 'auth');
    if (context.operation !== undefined) scope.setTag('operation', context.operation);
    if (context.route !== undefined) scope.setTag('route', context.route);
    if (context.requestId !== undefined) scope.setTag('request_id', context.requestId);
    if (typeof context.userId === 'string') scope.setUser({ id: context.userId });
    const { userId: _userId, ...rest } = context;
    scope.setContext('auth', scrubValue(rest) as Record<string, unknown>);
    return Sentry.captureException(error);
  });
}

/** The error tracker as the HTTP layer and the services see it; a no-op when none is set up. */
export interface ErrorTracker {
  /** Hooks the tracker into the app: request id and route on every request's scope. */
  install(app: FastifyInstance): void;
  /** Puts the authenticated user's id (only the id) on the current request's scope. */
  setUser(userId: string): void;
  /** Reports an unexpected error that did not fail a request (see `captureAuthError`). */
  captureError(error: unknown, context: AuthErrorContext): void;
}

/** The tracker when Sentry is off: does nothing, costs nothing per request. */
export const NO_ERROR_TRACKER: ErrorTracker = {
  install: () => {},
  setUser: () => {},
  captureError: () => {},
};

/**
 * The Sentry tracker. The SDK's own Fastify capture runs first and deduplicates any second
 * capture of the same error, so the request id, route and user go on the request's isolation
 * scope as the request starts, where that capture finds them.
 */
export function createSentryErrorTracker(): ErrorTracker {
  return {
    install: (app) => {
      // A no-op in SDK 11 (the integration hooks Fastify itself), kept for when it is not;
      // capture, transaction names and the sampled requests' span are instrumentFastifyApp's.
      Sentry.setupFastifyErrorHandler(app);
      instrumentFastifyApp(app);
      app.addHook('onRequest', tagRequestScope);
    },
    setUser: (userId) => {
      Sentry.getIsolationScope().setUser({ id: userId });
    },
    captureError: (error, context) => {
      captureAuthError(error, context);
    },
  };
}

function tagRequestScope(
  request: FastifyRequest,
  _reply: FastifyReply,
  done: (error?: Error) => void,
): void {
  Sentry.getIsolationScope().setTags({
    request_id: request.id,
    route: request.routeOptions.url ?? 'unknown',
  });
  done();
}
