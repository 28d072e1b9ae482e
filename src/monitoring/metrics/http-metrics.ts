import { Counter, type Registry } from 'prom-client';
import { LatencyHistogram } from './latency-histogram.ts';
import { LOGIN_OUTCOMES, type LoginOutcome, loginOutcomeOf } from './login-outcome.ts';

/** Label of requests that matched no route (scanners): one series, never the raw URL. */
export const UNMATCHED_ROUTE = 'unmatched';

/** Latency buckets of HTTP requests, in seconds. */
const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

interface CounterChild {
  inc(value?: number): void;
}

interface HistogramChild {
  observe(value: number): void;
}

/** The requests of one route, method and status not yet added to the counters. */
interface StatusSeries {
  pending: number;
  readonly requests: CounterChild;
  /** The login outcome counter of this status, on the login route only. */
  readonly login: CounterChild | null;
}

/**
 * Counts the requests of one route pattern and method. Label children are resolved once per
 * status, and a request only bumps a plain number: the counters take the pending counts when
 * scraped (prom-client's `inc` hashes the labels on every call, even on a child).
 */
export class RouteRecorder {
  readonly #route: string;
  readonly #method: string;
  readonly #isLogin: boolean;
  readonly #metrics: HttpMetrics;
  readonly #duration: HistogramChild;
  readonly #statuses = new Map<number, StatusSeries>();

  /** Built by `HttpMetrics.recorder`. */
  constructor(metrics: HttpMetrics, route: string, method: string, detectionRoute?: string) {
    this.#metrics = metrics;
    this.#route = route;
    this.#method = method;
    this.#isLogin = detectionRoute === 'login';
    this.#duration = metrics.durationOf(route, method);
  }

  /** One finished request: its status and how long it took (seconds). */
  record(status: number, seconds: number): void {
    const series = this.#statuses.get(status) ?? this.#addStatus(status);
    series.pending += 1;
    this.#duration.observe(seconds);
  }

  #addStatus(status: number): StatusSeries {
    const series: StatusSeries = {
      pending: 0,
      requests: this.#metrics.requestsOf(this.#route, this.#method, status),
      login: this.#isLogin ? this.#metrics.loginOutcome(loginOutcomeOf(status)) : null,
    };
    this.#statuses.set(status, series);
    this.#metrics.track(series);
    return series;
  }
}

/**
 * HTTP request metrics: requests by route pattern, method and status, a latency histogram per
 * route and method, and login outcomes. The HTTP layer asks for a `RouteRecorder` per route
 * (cached here) and records each response on it.
 */
export class HttpMetrics {
  readonly #requests: Counter<'route' | 'method' | 'status'>;
  readonly #duration: LatencyHistogram;
  readonly #logins: Counter<'outcome'>;
  readonly #loginChildren = new Map<LoginOutcome, CounterChild>();
  /** Route pattern → method → recorder. */
  readonly #recorders = new Map<string, Map<string, RouteRecorder>>();
  /** Every status series of every recorder, flushed into the counters at each scrape. */
  readonly #series: StatusSeries[] = [];

  /** Registers the metrics on `registry`. */
  constructor(registry: Registry) {
    const flush = () => this.#flush();
    this.#requests = new Counter({
      name: 'flux_auth_http_requests_total',
      help: 'HTTP requests by route pattern (never the raw URL), method and status.',
      labelNames: ['route', 'method', 'status'],
      registers: [registry],
      collect: flush,
    });
    // Observed on every response: a histogram whose series cost no allocation per request.
    this.#duration = new LatencyHistogram({
      name: 'flux_auth_http_request_duration_seconds',
      help: 'HTTP request latency by route pattern and method, in seconds.',
      buckets: HTTP_BUCKETS,
      registry,
    });
    this.#logins = new Counter({
      name: 'flux_auth_login_outcomes_total',
      help: 'Login requests by outcome: success, failure (wrong credentials), blocked (429 by the detector), invalid (400/413/415), busy (503), error (5xx), other.',
      labelNames: ['outcome'],
      registers: [registry],
      collect: flush,
    });
    // Every outcome shows from the first scrape (0), so rate() and absent() behave.
    for (const outcome of LOGIN_OUTCOMES) {
      const child = this.#logins.labels(outcome);
      child.inc(0);
      this.#loginChildren.set(outcome, child);
    }
  }

  /** The recorder of one route pattern (`UNMATCHED_ROUTE` for none) and method; cached. */
  recorder(route: string, method: string, detectionRoute?: string): RouteRecorder {
    let byMethod = this.#recorders.get(route);
    if (byMethod === undefined) {
      byMethod = new Map();
      this.#recorders.set(route, byMethod);
    }
    let recorder = byMethod.get(method);
    if (recorder === undefined) {
      recorder = new RouteRecorder(this, route, method, detectionRoute);
      byMethod.set(method, recorder);
    }
    return recorder;
  }

  /** Adds a status series to flush at each scrape (for `RouteRecorder`). */
  track(series: StatusSeries): void {
    this.#series.push(series);
  }

  // Both counters flush before they are read, whichever is collected first.
  #flush(): void {
    for (const series of this.#series) {
      if (series.pending === 0) continue;
      series.requests.inc(series.pending);
      series.login?.inc(series.pending);
      series.pending = 0;
    }
  }

  /** The request counter child of a route, method and status (for `RouteRecorder`). */
  requestsOf(route: string, method: string, status: number): CounterChild {
    return this.#requests.labels(route, method, String(status));
  }

  /** The latency histogram child of a route and method (for `RouteRecorder`). */
  durationOf(route: string, method: string): HistogramChild {
    return this.#duration.series({ route, method });
  }

  /** The login outcome counter child (for `RouteRecorder`). */
  loginOutcome(outcome: LoginOutcome): CounterChild {
    return this.#loginChildren.get(outcome) ?? this.#logins.labels(outcome);
  }
}
