import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * onRequest hook that warns once when requests carry X-Forwarded-For but no proxy is
 * trusted: behind a proxy every client would then share the proxy's address and counters.
 */
export function createForwardedForWarning(warn: (message: string) => void) {
  let hasWarned = false;
  // Callback style: it runs on every request and almost always has nothing to do, so it
  // should cost no promise (a blocked flood is answered in onRequest right after it).
  return function forwardedForWarning(
    request: FastifyRequest,
    _reply: FastifyReply,
    done: (error?: Error) => void,
  ): void {
    if (hasWarned || request.headers['x-forwarded-for'] === undefined) {
      done();
      return;
    }
    hasWarned = true;
    warn(
      'Requests arrive with X-Forwarded-For but TRUST_PROXY is not set: the header is ignored and ' +
        'the socket address is used. If flux-auth runs behind a proxy or load balancer, set ' +
        'TRUST_PROXY to its hop count or CIDR so each client is counted on its own.',
    );
    done();
  };
}
