import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * onRequest hook that warns once when requests carry X-Forwarded-For but no proxy is
 * trusted: behind a proxy every client would then share the proxy's address and counters.
 */
export function createForwardedForWarning(warn: (message: string) => void) {
  let hasWarned = false;
  return async function forwardedForWarning(request: FastifyRequest, _reply: FastifyReply) {
    if (hasWarned || request.headers['x-forwarded-for'] === undefined) return;
    hasWarned = true;
    warn(
      'Requests arrive with X-Forwarded-For but TRUST_PROXY is not set: the header is ignored and ' +
        'the socket address is used. If flux-auth runs behind a proxy or load balancer, set ' +
        'TRUST_PROXY to its hop count or CIDR so each client is counted on its own.',
    );
  };
}
