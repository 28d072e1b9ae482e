/** An abort signal for one delivery attempt, and the way to release it when the attempt ends. */
export interface AttemptSignal {
  readonly signal: AbortSignal;
  /** Clears the timer and stops following the parent; call when the attempt settles. */
  release(): void;
}

/**
 * A signal that aborts with a `TimeoutError` after `timeoutMs`, or with the parent's reason
 * when `parent` aborts (shutdown). The timer is held here and cleared on release, never left
 * to `AbortSignal.timeout`: on Node 20, `AbortSignal.any([…, AbortSignal.timeout(ms)])` loses
 * the timeout signal to garbage collection and then never aborts (nodejs/node#57736), so a
 * hung SMTP or webhook attempt ran on past its timeout.
 */
export function attemptSignal(parent: AbortSignal, timeoutMs: number): AttemptSignal {
  const controller = new AbortController();
  const onParentAbort = () => controller.abort(parent.reason);
  if (parent.aborted) onParentAbort();
  else parent.addEventListener('abort', onParentAbort, { once: true });
  const timer = setTimeout(() => {
    controller.abort(new DOMException(`attempt timed out after ${timeoutMs} ms`, 'TimeoutError'));
  }, timeoutMs);
  // Shutdown decides when the process ends, not a pending attempt's timer.
  timer.unref();
  return {
    signal: controller.signal,
    release: () => {
      clearTimeout(timer);
      parent.removeEventListener('abort', onParentAbort);
    },
  };
}
