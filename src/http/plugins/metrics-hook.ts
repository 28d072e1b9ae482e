import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HttpMetricsPort } from '../ports.ts';

/** Route label of requests that matched no route. */
const UNMATCHED = 'unmatched';

/**
 * Builds the onResponse hook that records every response's route pattern (never the raw URL),
 * method, status and latency. Callback style and one recorder lookup per request: it runs on
 * every response, a blocked flood's included. The latency is Fastify's own request timer.
 */
export function createMetricsHook(metrics: HttpMetricsPort) {
  return function measure(
    request: FastifyRequest,
    reply: FastifyReply,
    done: (error?: Error) => void,
  ): void {
    const route = request.routeOptions;
    metrics
      .recorder(route.url ?? UNMATCHED, request.method, route.config.detectionRoute)
      .record(reply.statusCode, reply.elapsedTime / 1000);
    done();
  };
}
