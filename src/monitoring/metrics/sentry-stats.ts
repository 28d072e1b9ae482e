/** What the error tracker reports about its own delivery; read at each scrape. */
export interface SentryStats {
  /** Events handed to the transport and accepted, since start. */
  readonly sent: number;
  /** Events dropped (queue full, rate limit, transport failure), since start. */
  readonly dropped: number;
}

/** Zeros: no error tracker configured (the default until Sentry is wired in). */
export const NO_SENTRY_STATS: SentryStats = Object.freeze({ sent: 0, dropped: 0 });
