/** One measurement: its printable lines, or why the server died during it. */
export interface Measurement {
  readonly lines: string[];
  readonly crash: string | null;
}

/**
 * Runs a measurement; if the server died mid-run (on a shared machine something may stop
 * it), the numbers mean nothing: say so and measure once more.
 */
export async function measureWithOneRetry(once: () => Promise<Measurement>): Promise<string[]> {
  const first = await once();
  if (first.crash === null) return first.lines;
  const second = await once();
  return [...second.lines, `  (an earlier attempt was discarded: ${first.crash})`];
}
