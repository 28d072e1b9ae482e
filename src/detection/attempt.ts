/** The routes the detector knows. Credential routes are signup and login. */
export type AuthRoute = 'signup' | 'login' | 'refresh' | 'logout' | 'me';

/** Signup and login: the routes governed by IP blocks and the request-rate rule. */
export function isCredentialRoute(route: AuthRoute): boolean {
  return route === 'signup' || route === 'login';
}

/**
 * One request as the detector sees it: no HTTP framework, no database.
 * `ip` is the client address already resolved through trusted proxies.
 */
export interface Attempt {
  readonly ip: string;
  readonly userAgent: string;
  readonly route: AuthRoute;
  /** Normalised email submitted on signup/login, whether or not the account exists. */
  readonly account?: string;
  /**
   * True for a login certain to be refused before any password check (its body fails the
   * route's validation or its email fails `emailProblem`): it is counted (bot_activity,
   * blocks) but reserves no failure slot. Recording its outcome still counts it against the
   * account, so a wrong prediction could only count a failure without a slot, never skip it.
   * A function, asked only when a slot would be reserved: a blocked IP's flood never pays
   * for the validation.
   */
  readonly isRefusedBeforeCheck?: () => boolean;
  /**
   * True when `precheckFromMemory` already ran for this request and refused nothing: the
   * precheck then skips memory (it could only answer the store refresh it was sent to make).
   */
  readonly isMemoryChecked?: boolean;
  /** Authenticated user on token routes (refresh, me, logout), when known. */
  readonly userId?: string;
  readonly requestId: string;
  /** Epoch milliseconds. */
  readonly now: number;
}

/** What happened after an allowed attempt ran. */
export type Outcome =
  | { readonly kind: 'login_failed' }
  | { readonly kind: 'login_succeeded'; readonly userId: string; readonly deviceId: string }
  | { readonly kind: 'signup_succeeded'; readonly userId: string }
  | { readonly kind: 'signup_failed' }
  | { readonly kind: 'refreshed'; readonly userId: string }
  | { readonly kind: 'refresh_failed' }
  | { readonly kind: 'other' };

/**
 * Where a client stands against the rule closest to refusing it (bot_activity on signup,
 * brute_force on login), for the IETF `RateLimit` headers.
 */
export interface RateQuota {
  readonly rule: 'brute_force' | 'bot_activity';
  readonly limit: number;
  readonly windowSeconds: number;
  /** How many more (failed logins, or requests) before a refusal; 0 when refused. */
  readonly remaining: number;
  /** Seconds until the quota is whole again, or until the refusal ends. */
  readonly resetSeconds: number;
  /** The client key the quota is counted under (hash it before showing it). */
  readonly clientKey: string;
}

/** The detector's answer to `precheck`; credential routes carry their `quota`. */
export type Decision =
  | { readonly action: 'allow'; readonly ticket: Ticket; readonly quota?: RateQuota }
  | {
      readonly action: 'block';
      readonly rule: string;
      readonly code: string;
      readonly message: string;
      readonly retryAfterSeconds: number;
      readonly quota?: RateQuota;
    };

/** The refusing half of `Decision`: answer 429 with `Retry-After`. */
export type Refusal = Extract<Decision, { readonly action: 'block' }>;

/** Opaque handle linking a precheck to its record call (e.g. the reserved failure slot). */
export interface Ticket {
  readonly attempt: Attempt;
  readonly reservation: string | null;
  /** Client key (IPv4, or IPv6 /64) worked out at precheck, so record needn't redo it. */
  readonly ipKey: string;
  /**
   * Hashed account on login tickets (see `hashAccount`), else null; null too on a login
   * flagged `isRefusedBeforeCheck` (hashed only if it is recorded after all).
   */
  readonly accountKey: string | null;
  /** The IP was allowlisted at precheck. */
  readonly isExempt: boolean;
}
