import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';
import type { TrustProxy } from '../config/index.ts';

/** Longest accepted incoming `X-Request-Id` (the audit log keeps 64 characters). */
export const MAX_REQUEST_ID_LENGTH = 64;

// Printable, no spaces or quotes: safe in a log line, a header and a SQL column.
const REQUEST_ID_SHAPE = new RegExp(`^[A-Za-z0-9._~:/+=-]{1,${MAX_REQUEST_ID_LENGTH}}$`);

/**
 * Builds Fastify's `genReqId`: the `X-Request-Id` a trusted proxy sent (the socket peer is
 * trusted by TRUST_PROXY, and the value has a safe shape), otherwise a fresh UUID. A client
 * that is not behind a trusted proxy cannot choose its request id.
 */
export function createRequestIdGenerator(trustProxy: TrustProxy): (req: IncomingMessage) => string {
  const isTrustedPeer = compilePeerTrust(trustProxy);
  return (req) => {
    const header = req.headers['x-request-id'];
    if (
      typeof header === 'string' &&
      REQUEST_ID_SHAPE.test(header) &&
      isTrustedPeer(req.socket.remoteAddress ?? '')
    ) {
      return header;
    }
    return randomUUID();
  };
}

// A hop count trusts the nearest proxies, so the peer itself whenever it is 1 or more. A list
// is compiled by proxy-addr, as Fastify does for X-Forwarded-For (names such as loopback too).
function compilePeerTrust(trustProxy: TrustProxy): (address: string) => boolean {
  if (trustProxy === false) return () => false;
  if (typeof trustProxy === 'number') return () => trustProxy >= 1;
  const isTrusted = proxyAddr.compile([...trustProxy]);
  return (address) => address !== '' && isTrusted(address, 0);
}
