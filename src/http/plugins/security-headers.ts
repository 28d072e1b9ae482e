import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';

/**
 * Helmet's default security headers (CSP, HSTS, nosniff, frame and referrer policies…) on
 * every response, refusals and errors included. Helmet's middleware is built once here:
 * the `@fastify/helmet` plugin builds it again for every request, a measurable share of a
 * login's event-loop time.
 */
export function installSecurityHeaders(app: FastifyInstance): void {
  const applyHeaders = helmet();
  app.addHook('onRequest', (request, reply, done) => {
    applyHeaders(request.raw, reply.raw, (error?: unknown) => {
      done(error instanceof Error ? error : undefined);
    });
  });
}
