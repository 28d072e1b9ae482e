import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { pino } from 'pino';
import type { TrustProxy } from '../config/index.ts';
import { installErrorHandler } from './error-handler.ts';
import { installDetectionHooks, NO_DETECTION } from './plugins/detection-hook.ts';
import {
  createForwardedForWarning,
  UNTRUSTED_PROXY_WARNING,
} from './plugins/forwarded-for-warning.ts';
import { createMetricsHook } from './plugins/metrics-hook.ts';
import { installRateLimitHeaders } from './plugins/rate-limit-headers.ts';
import { installSecurityHeaders } from './plugins/security-headers.ts';
import type {
  AccountsPort,
  DetectorPort,
  ErrorTrackerPort,
  HttpMetricsPort,
  JwksPort,
  ReadinessPort,
  TokensPort,
} from './ports.ts';
import { createRequestIdGenerator } from './request-id.ts';
import { RequestLogController } from './request-log.ts';
import { authRoutes } from './routes/auth-routes.ts';
import { healthRoutes } from './routes/health-routes.ts';

/** Largest accepted request body, in bytes (SPEC §2). */
export const BODY_LIMIT_BYTES = 16 * 1024;

/** The Fastify instance type this service builds. */
export type App = FastifyInstance<
  Server,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** Everything the app is built from; nothing here listens or reads the environment. */
export interface AppDependencies {
  readonly accounts: AccountsPort;
  readonly tokens: TokensPort;
  readonly readiness: ReadinessPort;
  readonly jwks: JwksPort;
  readonly detector?: DetectorPort;
  readonly clock?: () => number;
  readonly trustProxy?: TrustProxy;
  /** Told the peer address once when a proxy is seen in front while `trustProxy` is unset. */
  readonly onUntrustedProxy?: (peer: string) => void;
  /**
   * A proxy an earlier run saw in front (its address) while `trustProxy` is unset: warned about
   * once when the app is built (startup), and the request hook then stays quiet.
   */
  readonly knownUntrustedProxy?: string;
  /** Browser origins allowed to call the API (CORS); empty or absent: no CORS headers. */
  readonly corsOrigins?: readonly string[];
  /** A pino logger; none for silence (tests). */
  readonly logger?: FastifyBaseLogger;
  /** Request metrics (route, method, status, latency); none when metrics are off. */
  readonly metrics?: HttpMetricsPort;
  /** Error tracking (Sentry); none for no tracking. */
  readonly errorTracker?: ErrorTrackerPort;
  /** Extra plugins to register under the app (admin routes, metrics) after the core. */
  readonly extend?: (app: App) => Promise<void>;
}

const NO_ERROR_TRACKING: ErrorTrackerPort = { install: () => {}, setUser: () => {} };

// Errors Fastify raises before routing (a malformed URL) get the same {error, code} shape.
function answerFrameworkError(_error: FastifyError, _request: FastifyRequest, reply: FastifyReply) {
  void reply.code(400).send({ error: 'Malformed request URL', code: 'VALIDATION_FAILED' });
}

/** Builds the Fastify app from services. Tests call this and use `app.inject()`. */
export async function buildApp(deps: AppDependencies): Promise<App> {
  const app: App = Fastify({
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: toFastifyTrustProxy(deps.trustProxy ?? false),
    genReqId: createRequestIdGenerator(deps.trustProxy ?? false),
    requestIdHeader: false,
    logController: new RequestLogController(),
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    ajv: { customOptions: { coerceTypes: false, removeAdditional: true, allErrors: false } },
    return503OnClosing: true,
    frameworkErrors: answerFrameworkError,
    loggerInstance: deps.logger ?? pino({ level: 'silent' }),
  }).withTypeProvider<TypeBoxTypeProvider>();

  installErrorHandler(app);
  const errorTracker = deps.errorTracker ?? NO_ERROR_TRACKING;
  errorTracker.install(app);
  // JSON only: without this, text/plain bodies would reach the schema instead of a 415.
  app.removeContentTypeParser(['text/plain']);
  if (deps.trustProxy === undefined || deps.trustProxy === false) {
    if (deps.knownUntrustedProxy !== undefined) {
      app.log.warn(
        `${UNTRUSTED_PROXY_WARNING} An earlier run saw a proxy at ${deps.knownUntrustedProxy}.`,
      );
    } else {
      app.addHook(
        'onRequest',
        createForwardedForWarning((message) => app.log.warn(message), deps.onUntrustedProxy),
      );
    }
  }
  app.decorateRequest('detectionTicket', null);
  let isClosing = false;
  app.addHook('preClose', async () => {
    isClosing = true;
  });
  // Callback style: every response passes here, and a promise each is measurable in a flood.
  app.addHook('onSend', (request, reply, _payload, done) => {
    reply.header('x-request-id', request.id);
    // While draining, end keep-alive connections after their response so close() can finish.
    if (isClosing) reply.header('connection', 'close');
    done();
  });
  installSecurityHeaders(app);
  if (deps.corsOrigins && deps.corsOrigins.length > 0) {
    await app.register(cors, {
      origin: [...deps.corsOrigins],
      methods: ['GET', 'POST', 'DELETE'],
      allowedHeaders: ['content-type', 'authorization'],
      exposedHeaders: ['retry-after', 'x-request-id', 'ratelimit', 'ratelimit-policy'],
      // Bearer tokens travel in headers and bodies, never in cookies.
      credentials: false,
      maxAge: 600,
    });
  }
  installRateLimitHeaders(app);
  await app.register(swagger, {
    openapi: {
      info: { title: 'flux-auth', version: '0.1.0' },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
    },
  });
  // Its assets are same-origin files and no inline script: the strict CSP holds for it too.
  await app.register(swaggerUi, { routePrefix: '/docs' });
  const detector = deps.detector ?? NO_DETECTION;
  installDetectionHooks(app, detector, deps.clock ?? Date.now);
  if (deps.metrics) app.addHook('onResponse', createMetricsHook(deps.metrics));
  await app.register(healthRoutes, { readiness: deps.readiness, jwks: deps.jwks });
  await app.register(authRoutes, {
    prefix: '/api/auth',
    accounts: deps.accounts,
    tokens: deps.tokens,
    detector,
    errorTracker,
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  if (deps.extend) await deps.extend(app);
  return app;
}

// A hop count trusts that many proxies nearest to us, as proxy-addr does for numbers.
function toFastifyTrustProxy(
  trust: TrustProxy,
): boolean | string[] | ((a: string, hop: number) => boolean) {
  if (trust === false) return false;
  if (typeof trust === 'number') return (_address: string, hop: number) => hop < trust;
  return [...trust];
}
