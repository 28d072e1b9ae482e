import type { FastifyReply, FastifyRequest } from 'fastify';
import ipaddr from 'ipaddr.js';

/** The warning logged (once per process) when a proxy is seen while TRUST_PROXY is unset. */
export const UNTRUSTED_PROXY_WARNING =
  'Requests arrive through a proxy (X-Forwarded-For or Forwarded from a loopback or private ' +
  'address) but TRUST_PROXY is not set: the header is ignored and every client behind the ' +
  'proxy is counted and blocked as one. Set TRUST_PROXY to the proxy address or hop count.';

// Where a proxy or load balancer sits: a public peer sending the header is a client forging it.
const PROXY_RANGES = new Set([
  'loopback',
  'private',
  'uniqueLocal',
  'linkLocal',
  'carrierGradeNat',
]);

/** True when `address` (a socket's remote address) is loopback or private. */
export function isProxyAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  try {
    return PROXY_RANGES.has(ipaddr.process(address).range());
  } catch {
    return false;
  }
}

/**
 * onRequest hook for when no proxy is trusted: the first request that carries X-Forwarded-For
 * or Forwarded from a loopback/private peer (a proxy in front) logs one warning naming
 * TRUST_PROXY and tells `onProxySeen` the peer (doctor reads that record). Once per process.
 */
export function createForwardedForWarning(
  warn: (message: string) => void,
  onProxySeen: (peer: string) => void = () => {},
) {
  let hasWarned = false;
  // Callback style: it runs on every request and almost always has nothing to do, so it
  // should cost no promise (a blocked flood is answered in onRequest right after it).
  return function forwardedForWarning(
    request: FastifyRequest,
    _reply: FastifyReply,
    done: (error?: Error) => void,
  ): void {
    if (hasWarned) {
      done();
      return;
    }
    const headers = request.headers;
    if (headers['x-forwarded-for'] === undefined && headers.forwarded === undefined) {
      done();
      return;
    }
    const peer = request.raw.socket?.remoteAddress;
    if (peer === undefined || !isProxyAddress(peer)) {
      done();
      return;
    }
    hasWarned = true;
    warn(UNTRUSTED_PROXY_WARNING);
    try {
      onProxySeen(peer);
    } catch {
      // A record for doctor must never fail a request.
    }
    done();
  };
}
