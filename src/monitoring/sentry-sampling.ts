/**
 * Trace sampling of incoming requests, decided before the SDK makes a span. The SDK's own
 * sampling runs after its `http.server` span is built: every request, sampled or not, paid
 * for the span's attributes (URL, headers, sockets), its scope fork, its emitter bindings and
 * its end (~0.4 ms of CPU per login, `bench/profile-login.ts`). Deciding first, 90% of the
 * requests in production get no span at all; the sampled ones are traced exactly as before.
 */

/** The `sentry.op` of the SDK's incoming-request spans. */
const HTTP_SERVER_OP = 'http.server';
/** The root span attribute the SDK reads back as the trace's sample rate (DSC, extrapolation). */
export const SAMPLE_RATE_ATTRIBUTE = 'sentry.sample_rate';

// Probes and scrapes: frequent, uninteresting, never traced.
const UNTRACED_PATH = /^\/(?:health|ready|metrics)(?:[/?#]|$)/;

/** True for requests that are never traced: `/health`, `/ready` and `/metrics`. */
export function isUntracedPath(urlPath: string): boolean {
  return UNTRACED_PATH.test(urlPath);
}

/** What the SDK's `tracesSampler` is given, as far as this module reads it. */
export interface SamplerContext {
  readonly name: string;
  readonly attributes?: Readonly<Record<string, unknown>>;
  readonly normalizedRequest?: { readonly url?: string };
}

/** The two halves of one sampling decision: before the span exists, and the SDK's sampler. */
export interface RequestSampler {
  /** `ignoreIncomingRequests`: true (no span at all) for probes and unsampled requests. */
  skipRequest(urlPath: string): boolean;
  /**
   * `tracesSampler`: 1 for a request span (it exists only if sampled); 0 for another root span
   * inside a request (its request was not sampled, or it would be that span's child); the rate
   * for work outside requests.
   */
  tracesSampler(context: SamplerContext): number;
}

/**
 * Samples requests at `rate` with `random` (0 ≤ x < 1). A client's `sentry-trace` header does
 * not force sampling: the rate decides, as before.
 */
export function createRequestSampler(rate: number, random: () => number): RequestSampler {
  return {
    skipRequest: (urlPath) => isUntracedPath(urlPath) || !(random() < rate),
    tracesSampler: (context) => {
      const path = pathOf(context.normalizedRequest?.url ?? context.name.replace(/^[A-Z]+ /, ''));
      if (isUntracedPath(path)) return 0;
      if (context.attributes?.['sentry.op'] === HTTP_SERVER_OP) return 1;
      return context.normalizedRequest === undefined ? rate : 0;
    },
  };
}

// The SDK hands the request's absolute URL (`http://host:port/health?x`); the path decides.
function pathOf(url: string): string {
  if (url.startsWith('/')) return url;
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}
