/** Small statistics and formatting helpers shared by the benches. */

/** Nearest-rank percentile (`p` in 0..100) of unsorted samples; NaN when there are none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? Number.NaN;
}

/** p50, p99 and max of latency samples in milliseconds. */
export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** Summarises latency samples (milliseconds). */
export function summarize(samples: readonly number[]): LatencySummary {
  return {
    count: samples.length,
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    max: samples.length === 0 ? Number.NaN : Math.max(...samples),
  };
}

/** A number with a fixed count of decimals. */
export function fmt(value: number, decimals = 1): string {
  return Number.isFinite(value) ? value.toFixed(decimals) : 'n/a';
}

/** `{ 200: 5, 503: 2 }` as `200×5, 503×2`; `none` when empty. */
export function formatStatusCounts(counts: Readonly<Record<string, number>>): string {
  const entries = Object.entries(counts).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? 'none' : entries.map(([k, v]) => `${k}×${v}`).join(', ');
}

/** Adds one to `counts[key]`. */
export function bump(counts: Record<string, number>, key: string | number): void {
  const k = String(key);
  counts[k] = (counts[k] ?? 0) + 1;
}
