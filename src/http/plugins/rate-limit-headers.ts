import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { RateQuota } from '../../detection/attempt.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The quota the `RateLimit` headers of this answer show (credential routes). */
    rateQuota: RateQuota | null;
  }
}

/** `RateLimit-Policy` and `RateLimit` values (draft-ietf-httpapi-ratelimit-headers-08). */
export interface RateLimitHeaders {
  readonly policy: string;
  readonly limit: string;
}

// The policy's name says what it is, e.g. "5-in-5min" (as express-rate-limit names them).
function policyName(quota: RateQuota): string {
  const w = quota.windowSeconds;
  const span = w % 3600 === 0 ? `${w / 3600}h` : w % 60 === 0 ? `${w / 60}min` : `${w}s`;
  return `${quota.limit}-in-${span}`;
}

// A partition key that tells the client its quota is its own without echoing the key itself:
// the first 12 hex digits of SHA-256, base64-encoded (express-rate-limit's `draft-8` form).
function partitionKey(clientKey: string): string {
  const digest = createHash('sha256').update(clientKey).digest('hex').slice(0, 12);
  return Buffer.from(digest).toString('base64');
}

/**
 * The draft-8 header values, e.g. `"5-in-5min"; q=5; w=300; pk=:…:` and
 * `"5-in-5min"; r=2; t=300`, as express-rate-limit emits with `standardHeaders: 'draft-8'`.
 */
export function formatRateLimitHeaders(quota: RateQuota): RateLimitHeaders {
  const name = `"${policyName(quota)}"`;
  return {
    policy: `${name}; q=${quota.limit}; w=${quota.windowSeconds}; pk=:${partitionKey(quota.clientKey)}:`,
    limit: `${name}; r=${quota.remaining}; t=${quota.resetSeconds}`,
  };
}

/** Adds `RateLimit-Policy` and `RateLimit` to every answer whose request carries a quota. */
export function installRateLimitHeaders(app: FastifyInstance): void {
  app.decorateRequest('rateQuota', null);
  app.addHook('onSend', (request, reply, payload, done) => {
    if (request.rateQuota !== null) {
      const headers = formatRateLimitHeaders(request.rateQuota);
      reply.header('ratelimit-policy', headers.policy);
      reply.header('ratelimit', headers.limit);
    }
    done(null, payload);
  });
}
