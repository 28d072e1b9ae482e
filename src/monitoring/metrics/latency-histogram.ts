import type { Metric, Registry } from 'prom-client';

/** One label set's observations: a plain count per bucket, their sum and count. */
export class LatencySeries {
  readonly labels: Readonly<Record<string, string>>;
  readonly #bounds: readonly number[];
  /** Per bucket (not cumulative); the last one is +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(labels: Readonly<Record<string, string>>, bounds: readonly number[]) {
    this.labels = labels;
    this.#bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }

  /** One observation: a short scan of the bounds and three additions, no allocation. */
  observe(value: number): void {
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i += 1;
    this.counts[i] = (this.counts[i] as number) + 1;
    this.sum += value;
    this.count += 1;
  }
}

/** Options of `LatencyHistogram`. */
export interface LatencyHistogramOptions {
  readonly name: string;
  readonly help: string;
  /** Upper bounds in seconds, ascending (+Inf is implied). */
  readonly buckets: readonly number[];
  readonly registry: Registry;
}

/** A value as prom-client's registry formats it (`metricName` picks `_bucket`/`_sum`/`_count`). */
interface ExportedValue {
  readonly labels: Record<string, string | number>;
  readonly value: number;
  readonly metricName: string;
}

/**
 * A Prometheus histogram for the per-request hot path, served by prom-client's registry in
 * the same text format as its own `Histogram`. prom-client's `observe`, even on a label child,
 * validates and hashes the labels and allocates on every call (about 350 ns here); a series of
 * this one is resolved once per label set and observing is a bucket scan and three additions.
 */
export class LatencyHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #bounds: readonly number[];
  readonly #series: LatencySeries[] = [];

  /** Registers itself on `registry`. */
  constructor(options: LatencyHistogramOptions) {
    this.name = options.name;
    this.help = options.help;
    this.#bounds = [...options.buckets].sort((a, b) => a - b);
    // The registry only reads name, help, type, aggregator and get()/reset(): a histogram's shape.
    options.registry.registerMetric(this as unknown as Metric);
  }

  /** A new series for one label set (callers keep it; one per label set). */
  series(labels: Readonly<Record<string, string>>): LatencySeries {
    const series = new LatencySeries(labels, this.#bounds);
    this.#series.push(series);
    return series;
  }

  /** What the registry formats: cumulative `_bucket` lines, `+Inf`, `_sum` and `_count`. */
  async get(): Promise<{
    name: string;
    help: string;
    type: 'histogram';
    aggregator: 'sum';
    values: ExportedValue[];
  }> {
    const values: ExportedValue[] = [];
    for (const series of this.#series) {
      let cumulative = 0;
      this.#bounds.forEach((bound, i) => {
        cumulative += series.counts[i] as number;
        values.push(this.#value('_bucket', { le: bound, ...series.labels }, cumulative));
      });
      values.push(this.#value('_bucket', { le: '+Inf', ...series.labels }, series.count));
      values.push(this.#value('_sum', { ...series.labels }, series.sum));
      values.push(this.#value('_count', { ...series.labels }, series.count));
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: 'sum', values };
  }

  /** Zeroes every series (the registry's `resetMetrics`). */
  reset(): void {
    for (const series of this.#series) {
      series.counts.fill(0);
      series.sum = 0;
      series.count = 0;
    }
  }

  #value(suffix: string, labels: ExportedValue['labels'], value: number): ExportedValue {
    return { labels, value, metricName: `${this.name}${suffix}` };
  }
}
