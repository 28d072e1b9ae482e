/** How often the parent process is checked (ms). */
export const PARENT_CHECK_INTERVAL_MS = 500;

/**
 * Calls `onOrphaned` once when the process that started this one has exited (the parent pid
 * changes when the kernel re-parents us). A wrapper such as `npm exec` runs us under a shell
 * that dies on SIGTERM without passing it on; this is how the server still stops. Returns a
 * function that stops watching.
 */
export function watchParent(
  onOrphaned: () => void,
  readParentPid: () => number = () => process.ppid,
  intervalMs: number = PARENT_CHECK_INTERVAL_MS,
): () => void {
  const original = readParentPid();
  const timer = setInterval(() => {
    if (readParentPid() === original) return;
    clearInterval(timer);
    onOrphaned();
  }, intervalMs);
  // Watching alone must never keep the process alive.
  timer.unref();
  return () => clearInterval(timer);
}
