/** Public surface of the Prometheus metrics: the per-instance registry and its listener. */
export { HttpMetrics, RouteRecorder, UNMATCHED_ROUTE } from './http-metrics.ts';
export { LOGIN_OUTCOMES, type LoginOutcome, loginOutcomeOf } from './login-outcome.ts';
export { MetricsListenError, type MetricsServer, startMetricsServer } from './metrics-server.ts';
export { SecurityEventMetrics } from './security-event-metrics.ts';
export { NO_SENTRY_STATS, type SentryStats } from './sentry-stats.ts';
export { type MetricSources, ServiceMetrics, type StoreMode } from './service-metrics.ts';
