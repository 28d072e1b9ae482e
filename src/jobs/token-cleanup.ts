/** What the cleanup job needs: a function deleting expired and revoked refresh tokens. */
export interface TokenCleanupOptions {
  readonly deleteExpired: (now: number) => Promise<number>;
  readonly intervalMs: number;
  readonly clock?: () => number;
  readonly onResult?: (deleted: number) => void;
  readonly onError?: (error: unknown) => void;
}

/**
 * Deletes expired and revoked refresh tokens every `intervalMs`. Safe with several instances:
 * each run is one idempotent DELETE, so overlapping runs only find less to delete.
 * Returns a function that stops the schedule.
 */
export function scheduleTokenCleanup(options: TokenCleanupOptions): () => void {
  const clock = options.clock ?? Date.now;
  let isRunning = false;
  const run = async () => {
    if (isRunning) return;
    isRunning = true;
    try {
      options.onResult?.(await options.deleteExpired(clock()));
    } catch (error) {
      options.onError?.(error);
    } finally {
      isRunning = false;
    }
  };
  const timer = setInterval(() => void run(), options.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
