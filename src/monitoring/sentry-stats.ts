/** How many events went to Sentry, and how many did not; counts since the process started. */
export interface SentryStats {
  /** Events and transactions the ingestion endpoint accepted. */
  readonly sent: number;
  /** Events and transactions lost on the way: queue full, host down or slow, refused. */
  readonly dropped: number;
  /** Events held back on purpose by the rate limits (repeats of one error or rule). */
  readonly suppressed: number;
}

/** The mutable counters behind `SentryStats`, shared by the transport and the limiters. */
export class SentryCounters {
  sent = 0;
  dropped = 0;
  suppressed = 0;

  /** A copy of the counters now. */
  snapshot(): SentryStats {
    return { sent: this.sent, dropped: this.dropped, suppressed: this.suppressed };
  }
}
