import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { canonicalEmail, emailProblem } from '../../accounts/index.ts';
import type { AuthRoute, Outcome, Refusal, Ticket } from '../../detection/attempt.ts';
import type { DetectorPort } from '../ports.ts';
import { formatRateLimitHeaders } from './rate-limit-headers.ts';

declare module 'fastify' {
  interface FastifyRequest {
    detectionTicket: Ticket | null;
    /** How the handler ended, for the detector (see `setOutcome`); null: nothing to count. */
    detectionOutcome: Outcome | null;
    /** The login/signup e-mail, canonicalised once by the precheck (trim, NFKC, lower case). */
    canonicalEmail: string | undefined;
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

// Runs before validation: every spelling of one address shares one counter. The one place a
// request's e-mail is canonicalised; the handler reads `request.canonicalEmail`.
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
 * Puts the detector around every route whose config names a `detectionRoute`, as route hooks.
 * Before the handler: a refusal the detector can give from memory in onRequest (before the
 * body is read: a blocked flood costs what a 404 costs), else the precheck in preValidation
 * (it needs the body). After it, once: onSend records the outcome the handler set (or hands
 * the reservation back) and answers the quota after it. Other routes (health, 404) run none
 * of them. Call before the routes are registered.
 */
export function installDetectionHooks(
  app: FastifyInstance,
  detector: DetectorPort,
  clock: () => number,
): void {
  const record = createRecordHook(detector);
  app.decorateRequest('detectionOutcome', null);
  app.decorateRequest('canonicalEmail', undefined);
  app.addHook('onRoute', (options: RouteOptions) => {
    const route = options.config?.detectionRoute;
    if (route === undefined) return;
    if (detector.precheckFromMemory) {
      const early = createEarlyRefusalHook(
        detector.precheckFromMemory.bind(detector),
        route,
        clock,
      );
      options.onRequest = [...hooksOf(options.onRequest), early];
    }
    options.preValidation = [
      ...hooksOf(options.preValidation),
      createPrecheckHook(detector, route, clock),
    ];
    options.onSend = [...hooksOf(options.onSend), record];
  });
}

function hooksOf<T>(hooks: T | T[] | undefined): T[] {
  if (hooks === undefined) return [];
  return Array.isArray(hooks) ? hooks : [hooks];
}

/**
 * onRequest hook: a request the detector refuses from memory (a block cached on this
 * instance, a denylisted IP) is answered before its body is read or parsed, so a blocked
 * flood costs what a 404 costs. Node discards the unread body, so whatever a blocked client
 * sends (malformed, oversized) it gets the same 429 and nothing of it is buffered.
 */
function createEarlyRefusalHook(
  precheckFromMemory: NonNullable<DetectorPort['precheckFromMemory']>,
  route: AuthRoute,
  clock: () => number,
) {
  return function refuseFromMemory(
    request: FastifyRequest,
    reply: FastifyReply,
    done: (error?: Error) => void,
  ): void {
    const ip = clientAddressOf(request);
    // A request whose socket is already gone has no address: the precheck drops it.
    if (ip === undefined) {
      done();
      return;
    }
    const refusal = precheckFromMemory({
      ip,
      userAgent: request.headers['user-agent'] ?? '',
      route,
      requestId: request.id,
      now: clock(),
    });
    // Answering from a hook means not calling done: the lifecycle stops here.
    if (refusal === null) {
      done();
      return;
    }
    request.rateQuota = refusal.quota ?? null;
    sendRefusal(reply, refusal);
  };
}

/**
 * preValidation hook: asks the detector before any validation, password or database work.
 * A refusal is answered right here (429 + Retry-After) without an error object.
 */
function createPrecheckHook(detector: DetectorPort, route: AuthRoute, clock: () => number) {
  // With the onRequest hook installed, memory was asked already for this very request.
  const isMemoryChecked = detector.precheckFromMemory !== undefined;
  return async function precheck(request: FastifyRequest, reply: FastifyReply) {
    const ip = clientAddressOf(request);
    if (ip === undefined) {
      dropGoneClient(request, reply);
      return;
    }
    const account = accountKeyOf(request.body);
    request.canonicalEmail = account;
    const attempt = {
      ip,
      userAgent: request.headers['user-agent'] ?? '',
      route,
      account,
      isRefusedBeforeCheck:
        route === 'login' ? () => isRefusedBeforeCheck(request, account) : undefined,
      isMemoryChecked,
      requestId: request.id,
      now: clock(),
    };
    const decision = await detector.precheck(attempt);
    request.rateQuota = decision.quota ?? null;
    if (decision.action === 'block') return sendRefusal(reply, decision);
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

function sendRefusal(reply: FastifyReply, refusal: Refusal): FastifyReply {
  return reply
    .code(429)
    .header('retry-after', String(Math.max(1, refusal.retryAfterSeconds)))
    .send({ error: refusal.message, code: refusal.code });
}

/**
 * onSend hook, the one pass after the handler: records the outcome the handler set with
 * `setOutcome` or, when it set none (validation error, 503, a bug), hands the reservation back
 * so it never counts as a failed login. A recorded login answers the quota after it (the
 * rate-limit headers, written earlier in onSend, are rewritten).
 */
function createRecordHook(detector: DetectorPort) {
  return function record(
    request: FastifyRequest,
    reply: FastifyReply,
    payload: unknown,
    done: (error: Error | null, payload?: unknown) => void,
  ): void {
    const ticket = request.detectionTicket;
    // Most answers (refusals, token routes without ticket) need no promise at all.
    if (!ticket) {
      done(null, payload);
      return;
    }
    request.detectionTicket = null;
    const outcome = request.detectionOutcome ?? { kind: 'other' };
    detector.record(ticket, outcome).then(
      (quota) => {
        if (quota !== null) {
          request.rateQuota = quota;
          const headers = formatRateLimitHeaders(quota);
          reply.header('ratelimit-policy', headers.policy);
          reply.header('ratelimit', headers.limit);
        }
        done(null, payload);
      },
      (error: Error) => done(error),
    );
  };
}

/** Tells the detector, after the handler, how the request ended (recorded in onSend). */
export function setOutcome(request: FastifyRequest, outcome: Outcome): void {
  request.detectionOutcome = outcome;
}

/** A stable device id from the User-Agent (no cookie yet), for the multiple-devices rule. */
export function deviceIdOf(request: FastifyRequest): string {
  const ua = request.headers['user-agent'] ?? '';
  return createHash('sha256').update(ua).digest('hex').slice(0, 16);
}
