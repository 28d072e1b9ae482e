import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

/** One bucket of `GET /api/admin/stats`. */
export interface StatsBucket {
  readonly start: string;
  readonly failedLogins: number;
  readonly blocks: number;
  readonly throttles: number;
  readonly alerts: number;
}

const SERIES = [
  { key: 'failedLogins', label: 'Failed logins', stroke: '#b3261e' },
  { key: 'blocks', label: 'Blocks', stroke: '#1b5e9b' },
  { key: 'throttles', label: 'Throttles', stroke: '#8a5a00' },
  { key: 'alerts', label: 'Alerts', stroke: '#5b2a86' },
] as const;

/** A uPlot line chart of the four counts; its totals are given as text for screen readers. */
export function StatsChart(props: { title: string; buckets: readonly StatsBucket[] }) {
  const holder = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = holder.current;
    if (!element) return;
    const data: uPlot.AlignedData = [
      props.buckets.map((b) => Date.parse(b.start) / 1000),
      ...SERIES.map((s) => props.buckets.map((b) => b[s.key])),
    ];
    const width = Math.max(240, element.clientWidth);
    const chart = new uPlot(
      {
        width,
        height: 220,
        legend: { show: false },
        series: [{}, ...SERIES.map((s) => ({ label: s.label, stroke: s.stroke, width: 2 }))],
        axes: [{}, { size: 40 }],
        scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      },
      data,
      element,
    );
    // The grid settles after both charts load, and phones rotate: follow the holder's width.
    const observer = new ResizeObserver(() => {
      const next = Math.max(240, element.clientWidth);
      if (next !== chart.width) chart.setSize({ width: next, height: 220 });
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
      chart.destroy();
    };
  }, [props.buckets]);
  const total = (key: (typeof SERIES)[number]['key']) =>
    props.buckets.reduce((sum, b) => sum + b[key], 0);
  return (
    <figure class="chart">
      <figcaption>
        <h3>{props.title}</h3>
        <ul class="legend">
          {SERIES.map((s) => (
            <li key={s.key}>
              <span class={`swatch swatch-${s.key}`} aria-hidden="true" />
              {s.label}: <strong>{total(s.key)}</strong>
            </li>
          ))}
        </ul>
      </figcaption>
      <div
        ref={holder}
        class="chart-plot"
        role="img"
        aria-label={`${props.title}: counts per hour`}
      />
    </figure>
  );
}
