/**
 * Sentry's Fastify support, trimmed to what flux-auth uses. The SDK's `fastifyIntegration`
 * wraps every hook and handler of every route in a span of its own, for unsampled requests
 * too (nine hooks on a login: nine scope forks, span ids and attribute objects, ~0.5 ms of
 * CPU per login measured with `bench/profile-login.ts`). Here: errors are captured as the
 * SDK's integration captures them (handler errors through Fastify's diagnostics channel, the
 * rest through `onError`), every request names its transaction by route, and a sampled
 * request gets one route-handler span under its `http.server` transaction; an unsampled
 * request gets no span at all.
 */
import { subscribe } from 'node:diagnostics_channel';
import * as Sentry from '@sentry/node';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** The name of the SDK's integration, replaced by this one (`getIntegrationByName`). */
export const FASTIFY_INTEGRATION_NAME = 'Fastify';
/** Published by Fastify 5 when a route handler throws or rejects. */
const HANDLER_ERROR_CHANNEL = 'tracing:fastify.request.handler:error';
const ORIGIN = 'auto.http.fastify';
/** What `Sentry.init` takes as an integration (the type is not re-exported by @sentry/node). */
interface Integration {
  readonly name: string;
  setupOnce(): void;
}
// The SDK's SPAN_STATUS_ERROR (not re-exported by @sentry/node).
const SPAN_STATUS_ERROR = 2;

// Requests whose error was already captured (the channel and `onError` can both see it).
const captured = new WeakSet<object>();
// The route-handler span of each sampled request in flight.
const handlerSpans = new WeakMap<object, Sentry.Span>();

/**
 * Subscribes to Fastify's handler-error channel; replaces the SDK's `fastifyIntegration` (same
 * name, so the SDK does not add its own).
 */
export function fastifyErrorsIntegration(): Integration {
  return {
    name: FASTIFY_INTEGRATION_NAME,
    setupOnce() {
      subscribe(HANDLER_ERROR_CHANNEL, (message) => {
        const { error, request, reply } = message as {
          error: unknown;
          request?: FastifyRequest;
          reply?: FastifyReply;
        };
        if (request !== undefined && reply !== undefined)
          captureFastifyError(error, request, reply);
      });
    },
  };
}

/** Hooks into `app`: transaction names by route, a span for sampled requests, `onError` capture. */
export function instrumentFastifyApp(app: FastifyInstance): void {
  app.addHook('onRequest', startRequest);
  app.addHook('onResponse', endRequest);
  app.addHook('onError', (request, reply, error, done) => {
    handlerSpans.get(request)?.setStatus({ code: SPAN_STATUS_ERROR, message: 'internal_error' });
    captureFastifyError(error, request, reply);
    done();
  });
}

function startRequest(request: FastifyRequest, _reply: FastifyReply, done: () => void): void {
  const route = request.routeOptions.url;
  const name = `${request.method} ${route ?? request.url.replace(/\?.*$/, '')}`;
  Sentry.getIsolationScope().setTransactionName(name);
  const active = Sentry.getActiveSpan();
  const root = active === undefined ? undefined : Sentry.getRootSpan(active);
  // Unsampled (90% in production) or untraced: nothing more to record.
  if (root === undefined || !root.isRecording()) {
    done();
    return;
  }
  if (
    route !== undefined &&
    Sentry.spanToJSON(root).attributes?.[Sentry.SEMANTIC_ATTRIBUTE_SENTRY_OP] === 'http.server'
  ) {
    root.setAttribute('http.route', route);
    root.updateName(name);
    root.setAttribute('sentry.segment.name.source', 'route');
  }
  const span = Sentry.startInactiveSpan({
    name,
    op: 'request_handler.fastify',
    attributes: {
      [Sentry.SEMANTIC_ATTRIBUTE_SENTRY_ORIGIN]: ORIGIN,
      'http.request.method': request.method,
      ...(route === undefined ? {} : { 'http.route': route }),
    },
  });
  handlerSpans.set(request, span);
  Sentry.withActiveSpan(span, () => done());
}

function endRequest(request: FastifyRequest, reply: FastifyReply, done: () => void): void {
  const span = handlerSpans.get(request);
  if (span !== undefined) {
    span.setAttribute('http.response.status_code', reply.statusCode);
    if (reply.statusCode >= 500)
      span.setStatus({ code: SPAN_STATUS_ERROR, message: 'internal_error' });
    span.end();
    handlerSpans.delete(request);
  }
  done();
}

// As the SDK's integration: 5xx (or an error on a reply still at 200) is captured, 4xx is not.
function captureFastifyError(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  if (captured.has(request) || !shouldCapture(error, reply)) return;
  captured.add(request);
  Sentry.captureException(error, { mechanism: { handled: false, type: 'auto.function.fastify' } });
}

function shouldCapture(error: unknown, reply: FastifyReply): boolean {
  const status = reply.statusCode !== 200 ? reply.statusCode : errorStatus(error);
  return status >= 500 || status <= 299;
}

function errorStatus(error: unknown): number {
  if (typeof error !== 'object' || error === null) return 500;
  const { statusCode, status } = error as { statusCode?: unknown; status?: unknown };
  const code = Number(statusCode ?? status);
  return code >= 400 ? code : 500;
}
