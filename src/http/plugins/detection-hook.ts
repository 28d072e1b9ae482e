import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { canonicalEmail, emailProblem } from '../../accounts/index.ts';
import type { AuthRoute, Outcome, Ticket } from '../../detection/attempt.ts';
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
  precheck: async (attempt) => ({
    action: 'allow',
    ticket: { attempt, reservation: null, ipKey: attempt.ip, accountKey: null, isExempt: false },
  }),
  record: async () => null,
};

// Runs before validation: every spelling of one address shares one counter.
function accountKeyOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const email = (body as Record<string, unknown>).email;
  return typeof email === 'string' ? canonicalEmail(email) : undefined;
}

/**
 * True when a login is certain to be refused before any password check: its body fails the
 * route's schema (the same compiled validator that answers 400 next) or its email fails
 * `emailProblem` (what `login` checks first). Such a login is counted as a request but
 * reserves no failure slot, so a flood of garbage costs one store call each and nothing to
 * hand back; a login that reaches the password check always holds a slot.
 */
function isRefusedBeforeCheck(request: FastifyRequest, account: string | undefined): boolean {
  if (!request.validateInput(request.body, 'body')) return true;
  return account === undefined || emailProblem(account) !== null;
}

/**
 * Builds the preValidation hook that asks the detector before any validation, password or
 * database work. A refusal is answered right here (429 + Retry-After): a flood from a blocked
 * IP costs one cached lookup and no error object.
 */
export function createPrecheckHook(detector: DetectorPort, clock: () => number) {
  return async function precheck(request: FastifyRequest, reply: FastifyReply) {
    const route = request.routeOptions.config.detectionRoute;
    if (!route) return;
    const ip = clientAddressOf(request);
    if (ip === undefined) {
      dropGoneClient(request, reply);
      return;
    }
    const account = accountKeyOf(request.body);
    const attempt = {
      ip,
      userAgent: request.headers['user-agent'] ?? '',
      route,
      account,
      isRefusedBeforeCheck:
        route === 'login' ? () => isRefusedBeforeCheck(request, account) : undefined,
      requestId: request.id,
      now: clock(),
    };
    const decision = await detector.precheck(attempt);
    request.rateQuota = decision.quota ?? null;
    if (decision.action === 'block') {
      return reply
        .code(429)
        .header('retry-after', String(Math.max(1, decision.retryAfterSeconds)))
        .send({ error: decision.message, code: decision.code });
    }
    request.detectionTicket = decision.ticket;
  };
}

// A socket that is already closed reports no address (and proxy-addr may throw on it).
function clientAddressOf(request: FastifyRequest): string | undefined {
  try {
    const ip: unknown = request.ip;
    return typeof ip === 'string' && ip !== '' ? ip : undefined;
  } catch {
    return undefined;
  }
}

// The client left before it could be answered (it reset the connection right after sending):
// nothing to count, nothing to answer, nothing to log. Hijacking ends Fastify's handling.
function dropGoneClient(request: FastifyRequest, reply: FastifyReply): void {
  reply.hijack();
  request.raw.destroy();
}

/**
 * onResponse hook: a request that ended without telling the detector its outcome (validation
 * error, 503, a bug) hands its reservation back, so it never counts as a failed login.
 */
export function createReleaseHook(detector: DetectorPort) {
  // Callback style: it runs after every response of every route, and most (health, refusals,
  // recorded logins) hold no ticket, so most need no promise at all.
  return function release(
    request: FastifyRequest,
    _reply: FastifyReply,
    done: (error?: Error) => void,
  ): void {
    if (request.detectionTicket) {
      recordOutcome(detector, request, { kind: 'other' }).then(() => done(), done);
    } else {
      done();
    }
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
  const quota = await detector.record(ticket, outcome);
  if (quota !== null) request.rateQuota = quota;
}

/** A stable device id from the User-Agent (no cookie yet), for the multiple-devices rule. */
export function deviceIdOf(request: FastifyRequest): string {
  const ua = request.headers['user-agent'] ?? '';
  return createHash('sha256').update(ua).digest('hex').slice(0, 16);
}
