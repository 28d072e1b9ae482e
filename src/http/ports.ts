import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type {
  Attempt,
  Decision,
  Outcome,
  RateQuota,
  Refusal,
  Ticket,
} from '../detection/attempt.ts';
import type { PublicUserSchema } from './schemas.ts';

/** A user as answered by the API: the response schema is the one definition. */
export type PublicUser = Static<typeof PublicUserSchema>;

/** Access + refresh tokens; `expiresIn` is the access token lifetime in seconds. */
export interface TokenPair {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly expiresIn: number;
}

/** Where the request came from, for events written by the domain (e.g. token reuse). */
export interface RequestContext {
  readonly ip: string;
  readonly userAgent: string;
  readonly requestId: string;
}

/** Verified access token claims the HTTP layer needs. */
export interface AccessClaims {
  readonly sub: string;
  readonly role: 'user' | 'admin';
}

/** What the auth routes need from accounts. */
export interface AccountsPort {
  signup(input: { email: string; password: string; name: string }): Promise<PublicUser>;
  /** `canonicalEmail`: the e-mail as the detection hook canonicalised it (not done again). */
  login(input: { email: string; password: string; canonicalEmail?: string }): Promise<PublicUser>;
  getUser(id: string): Promise<PublicUser | null>;
}

/** What the auth routes need from tokens. */
export interface TokensPort {
  issuePair(user: PublicUser): Promise<TokenPair>;
  refresh(refreshToken: string, ctx: RequestContext): Promise<TokenPair & { user: PublicUser }>;
  logout(refreshToken: string): Promise<void>;
  verifyAccess(accessToken: string): Promise<AccessClaims>;
}

/** Public keys for `/.well-known/jwks.json`, or null with HS256. */
export type JwksPort = () => { keys: readonly object[] } | null;

/** The detector as the HTTP layer sees it; `precheck` and `record` must never throw. */
export interface DetectorPort {
  precheck(attempt: Attempt): Promise<Decision>;
  /** A login's outcome may answer the quota after it (see `RateQuota`). */
  record(ticket: Ticket, outcome: Outcome): Promise<RateQuota | null>;
  /** Refusals known without the store or the body; when given, asked before body parsing. */
  precheckFromMemory?(attempt: Attempt): Refusal | null;
}

/** The error tracker as the HTTP layer sees it (Sentry, or nothing). */
export interface ErrorTrackerPort {
  /** Hooks into the app before the routes: tags every request's scope (id, route). */
  install(app: FastifyInstance): void;
  /** Puts the authenticated user's id (only the id) on the current request's scope. */
  setUser(userId: string): void;
}

/** State of one dependency for `/ready`. */
export interface DependencyState {
  readonly status: 'ok' | 'degraded' | 'down' | 'not_configured';
  readonly detail?: string;
  /** Detection store on Redis: instances sharing it, as last learned from Redis. */
  readonly instances?: number;
}

/** Readiness probe: each dependency's state. */
export type ReadinessPort = () => Promise<Readonly<Record<string, DependencyState>>>;

/** Per-route request metrics (see `HttpMetrics`): a cached recorder per route and method. */
export interface HttpMetricsPort {
  recorder(
    route: string,
    method: string,
    detectionRoute?: string,
  ): { record(status: number, seconds: number): void };
}
