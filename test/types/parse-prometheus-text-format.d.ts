// The package ships no types; this is the shape it documents (values stay strings).
declare module 'parse-prometheus-text-format' {
  /** One sample of a counter, gauge or untyped metric. */
  interface PrometheusSample {
    readonly value: string;
    readonly labels?: Readonly<Record<string, string>>;
  }
  /** One series of a histogram: cumulative bucket counts by `le`, plus count and sum. */
  interface PrometheusHistogramSample {
    readonly buckets: Readonly<Record<string, string>>;
    readonly count?: string;
    readonly sum?: string;
    readonly labels?: Readonly<Record<string, string>>;
  }
  /** A metric family as parsed. */
  interface PrometheusFamily {
    readonly name: string;
    readonly help: string;
    readonly type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
    readonly metrics: ReadonlyArray<PrometheusSample & Partial<PrometheusHistogramSample>>;
  }
  /** Parses the Prometheus text exposition format. */
  export default function parsePrometheusTextFormat(text: string): PrometheusFamily[];
}
