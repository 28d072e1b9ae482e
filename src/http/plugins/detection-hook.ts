import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthRoute, Outcome, Ticket } from '../../detection/attempt.ts';
import { BlockedError } from '../../errors.ts';
import type { DetectorPort } from '../ports.ts';

declare module 'fastify' {
  interface FastifyRequest {
    detectionTicket: Ticket | null;
  }
  interface FastifyContextConfig {
    /** Set on auth routes: which detector route this is. */
    detectionRoute?: AuthRoute;
  }
}

/** A detector that allows everything and records nothing (no detection configured). */
export const NO_DETECTION: DetectorPort = {
  precheck: async (attempt) => ({ action: 'allow', ticket: { attempt, reservation: null } }),
  record: async () => {},
};

// Loose normalisation for counting only: every spelling of one address shares one counter,
// even when the address is malformed and later refused by validation.
function accountKeyOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const email = (body as Record<string, unknown>).email;
  return typeof email === 'string' ? email.trim().normalize('NFKC').toLowerCase() : undefined;
}

/** Builds the preHandler that asks the detector before any password or database work. */
export function createPrecheckHook(detector: DetectorPort, clock: () => number) {
  return async function precheck(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const route = request.routeOptions.config.detectionRoute;
    if (!route) return;
    const attempt = {
      ip: request.ip,
      userAgent: request.headers['user-agent'] ?? '',
      route,
      account: accountKeyOf(request.body),
      requestId: request.id,
      now: clock(),
    };
    const decision = await detector.precheck(attempt);
    if (decision.action === 'block') {
      throw new BlockedError(
        decision.code as 'RATE_LIMITED' | 'IP_BLOCKED' | 'ACCOUNT_THROTTLED',
        decision.message,
        decision.rule,
        decision.retryAfterSeconds,
      );
    }
    request.detectionTicket = decision.ticket;
  };
}

/** Tells the detector how the request ended; a no-op when no precheck ran. */
export async function recordOutcome(
  detector: DetectorPort,
  request: FastifyRequest,
  outcome: Outcome,
): Promise<void> {
  const ticket = request.detectionTicket;
  if (!ticket) return;
  request.detectionTicket = null;
  await detector.record(ticket, outcome);
}

/** A stable device id from the User-Agent (no cookie yet), for the multiple-devices rule. */
export function deviceIdOf(request: FastifyRequest): string {
  const ua = request.headers['user-agent'] ?? '';
  return createHash('sha256').update(ua).digest('hex').slice(0, 16);
}
