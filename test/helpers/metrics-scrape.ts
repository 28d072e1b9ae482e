import parsePrometheusTextFormat from 'parse-prometheus-text-format';

type Labels = Readonly<Record<string, string>>;

/** One parsed `/metrics` answer. */
export interface Scrape {
  /** The raw text, for failure messages. */
  readonly text: string;
  /** Every metric family name. */
  readonly names: readonly string[];
  /** The value of the sample of `name` whose labels include `labels`; undefined when absent. */
  value(name: string, labels?: Labels): number | undefined;
  /** The observation count of the histogram series of `name` matching `labels`. */
  count(name: string, labels?: Labels): number | undefined;
}

function matches(actual: Labels | undefined, wanted: Labels): boolean {
  return Object.entries(wanted).every(([key, value]) => actual?.[key] === value);
}

/**
 * Parses Prometheus text with a real text-format parser (parse-prometheus-text-format). That
 * parser folds a histogram's labelled series into one and drops their labels, so histogram
 * families are read as untyped: each `_bucket`, `_sum` and `_count` series then parses as a
 * family of its own with its labels intact.
 */
export function parseScrape(text: string): Scrape {
  const histograms = [...text.matchAll(/^# TYPE (\S+) histogram$/gm)].map((m) => m[1] ?? '');
  const families = parsePrometheusTextFormat(
    text.replace(/^# TYPE (\S+) histogram$/gm, '# TYPE $1 untyped'),
  );
  // A histogram's series interleave, so one name can come back as several families.
  const sample = (name: string, labels: Labels) =>
    families
      .filter((f) => f.name === name)
      .flatMap((f) => f.metrics)
      .find((m) => matches(m.labels, labels));
  const value = (name: string, labels: Labels = {}) => {
    const found = sample(name, labels);
    return found === undefined ? undefined : Number(found.value);
  };
  return {
    text,
    names: [...new Set([...families.map((f) => f.name), ...histograms])],
    value,
    count: (name, labels = {}) => value(`${name}_count`, labels),
  };
}

/** GETs `${baseUrl}/metrics` and parses it; throws on a non-200 answer. */
export async function scrapeMetrics(baseUrl: string): Promise<Scrape> {
  const response = await fetch(`${baseUrl}/metrics`);
  const text = await response.text();
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}: ${text}`);
  return parseScrape(text);
}
