import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Attempt, Decision, Outcome, Ticket } from '../detection/attempt.ts';
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
  login(input: { email: string; password: string }): Promise<PublicUser>;
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

/** The detector as the HTTP layer sees it; both calls must never throw. */
export interface DetectorPort {
  precheck(attempt: Attempt): Promise<Decision>;
  record(ticket: Ticket, outcome: Outcome): Promise<void>;
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
}

/** Readiness probe: each dependency's state. */
export type ReadinessPort = () => Promise<Readonly<Record<string, DependencyState>>>;
