import {
  type ErrorEvent,
  type EventHint,
  httpIntegration,
  type NodeOptions,
  withStaticSpan,
} from '@sentry/node';
import type { SentryConfig } from '../config/index.ts';
import { EventRateLimiter } from './event-rate-limiter.ts';
import { scrubString, stripQueryString } from './scrubber.ts';
import { fastifyErrorsIntegration } from './sentry-fastify.ts';
import { profilingIntegrations } from './sentry-profiling.ts';
import { createRequestSampler, SAMPLE_RATE_ATTRIBUTE } from './sentry-sampling.ts';

export { isUntracedPath } from './sentry-sampling.ts';

import { scrubBreadcrumb, scrubEvent, scrubSpan } from './sentry-scrub.ts';
import type { SentryCounters } from './sentry-stats.ts';
import { createCountingTransport } from './sentry-transport.ts';

/** Envelopes in flight to Sentry at most; past it events are dropped and counted. */
export const SENTRY_QUEUE_SIZE = 100;
/**
 * Events being prepared (event processors, beforeSend) at once at most; past it they are dropped
 * and counted. Finished transactions are captured in batches (every ≤ 100 ms), so a busy
 * traced server hands over hundreds at once: the SDK's default (64) dropped them.
 */
export const SENTRY_PROCESSING_QUEUE_SIZE = 1000;
/** A send to Sentry not answered within this is abandoned (ms). */
export const SENTRY_SEND_TIMEOUT_MS = 5000;
/** Captured errors of one group sent per minute; the rest are counted, not sent. */
export const ERRORS_PER_GROUP_PER_MINUTE = 3;
/** Captured errors of all groups together sent per minute. */
export const ERRORS_PER_MINUTE = 30;

// The SDK's defaults this service needs; the others (frameworks and clients it does not use,
// console and child-process breadcrumbs, local variables, sessions) only cost requests time.
// Dedupe is left out on purpose: it drops a second identical security message (two blocks in
// a row); the rate limits below decide what repeats reach Sentry instead.
const KEPT_DEFAULT_INTEGRATIONS: ReadonlySet<string> = new Set([
  'EventFilters',
  'FunctionToString',
  'LinkedErrors',
  'RequestData',
  'NodeSystemError',
  'OnUncaughtException',
  'OnUnhandledRejection',
  'ContextLines',
  'Context',
  'Postgres',
  'Redis',
]);

/**
 * Every `Sentry.init` option of flux-auth: no personal data collected, one scrubber over events,
 * transactions, spans and breadcrumbs, errors grouped and rate-limited, a bounded counting
 * transport, and traces sampled at `tracesSampleRate` except probes.
 */
export function buildSentryOptions(
  config: SentryConfig,
  counters: SentryCounters,
  random: () => number = Math.random,
): NodeOptions {
  const sampler = createRequestSampler(config.tracesSampleRate, random);
  const limiter = new EventRateLimiter({
    perKey: ERRORS_PER_GROUP_PER_MINUTE,
    total: ERRORS_PER_MINUTE,
    windowMs: 60_000,
  });
  return {
    dsn: config.dsn ?? undefined,
    environment: config.environment,
    release: config.release,
    // Transactions as whole events, so `beforeSendTransaction` sees (and scrubs) every span.
    traceLifecycle: 'static',
    // Requests are sampled before their span is made (see sentry-sampling.ts).
    tracesSampler: (context) => sampler.tracesSampler(context),
    // The v11 successor of `sendDefaultPii: false`: no user data, cookies, bodies or queries.
    dataCollection: {
      userInfo: false,
      cookies: false,
      httpHeaders: {
        request: { allow: ['user-agent', 'content-type', 'content-length', 'accept'] },
        response: false,
      },
      httpBodies: [],
      urlQueryParams: false,
      graphQL: { document: false, variables: false },
      genAI: { inputs: false, outputs: false },
    },
    integrations: (defaults) => [
      ...defaults.filter((integration) => KEPT_DEFAULT_INTEGRATIONS.has(integration.name)),
      httpIntegration({
        ignoreIncomingRequests: (urlPath) => sampler.skipRequest(urlPath),
        // The trace's sample rate as Sentry reads it back (extrapolation), not the 1 above.
        onSpanCreated: (span) => span.setAttribute(SAMPLE_RATE_ATTRIBUTE, config.tracesSampleRate),
        maxRequestBodySize: 'none',
        ignoreRequestBody: () => true,
        // Release health per request is of no use to an API and costs every request a little.
        sessions: false,
      }),
      // Not the SDK's fastifyIntegration: it spans every hook of every request, sampled or not.
      fastifyErrorsIntegration(),
      ...profilingIntegrations(config.profilesSampleRate),
    ],
    ...(config.profilesSampleRate > 0
      ? { profileSessionSampleRate: config.profilesSampleRate, profileLifecycle: 'trace' as const }
      : {}),
    beforeSend: (event, hint) => limitErrors(event, hint, limiter, counters),
    beforeSendTransaction: (event) => scrubEvent(event),
    beforeSendSpan: withStaticSpan((span) => scrubSpan(span)),
    beforeBreadcrumb: (breadcrumb) => scrubBreadcrumb(breadcrumb),
    transportOptions: { bufferSize: SENTRY_PROCESSING_QUEUE_SIZE },
    transport: createCountingTransport(counters, {
      queueSize: SENTRY_QUEUE_SIZE,
      timeoutMs: SENTRY_SEND_TIMEOUT_MS,
    }),
  };
}

// Groups captured errors by code (AppError codes, driver codes such as ECONNREFUSED) or by
// type and message shape, and lets a few per group through per minute.
function limitErrors(
  event: ErrorEvent,
  hint: EventHint,
  limiter: EventRateLimiter,
  counters: SentryCounters,
): ErrorEvent | null {
  const exception = event.exception?.values?.[0];
  // Security messages are grouped and limited by their subscriber before capture.
  if (exception === undefined) return scrubEvent(event);
  const code = codeOf(hint.originalException);
  const type = exception.type ?? 'Error';
  if (code !== null && event.fingerprint === undefined) event.fingerprint = ['error', type, code];
  const shape = scrubString(stripQueryString(exception.value ?? ''))
    .replace(/\d+/g, '0')
    .slice(0, 120);
  const decision = limiter.take(code === null ? `${type}:${shape}` : `${type}:${code}`);
  if (!decision.allowed) {
    counters.suppressed += 1;
    return null;
  }
  if (decision.suppressed > 0) {
    event.extra = { ...event.extra, suppressedSinceLast: decision.suppressed };
  }
  return scrubEvent(event);
}

function codeOf(error: unknown): string | null {
  if (typeof error !== 'object' || error === null || !('code' in error)) return null;
  const { code } = error;
  return typeof code === 'string' && /^[\w.-]{1,64}$/.test(code) ? code : null;
}
