import { join } from 'node:path';
import {
  blockFloodAddress,
  compare,
  describe,
  perRound,
  rate,
  type Side,
  type SideTotal,
} from './detector-http.ts';
import type { DetectorHttpKind } from './lib/detector-http-load.ts';
import { type DetectorHttpServer, startDetectorHttpServer } from './lib/detector-http-servers.ts';
import { envNumber } from './lib/settings.ts';
import { fmt, percentile } from './lib/stats.ts';
import { WorkerHandle } from './lib/worker.ts';

/** Throughput with Prometheus metrics on, as a ratio of the same server with them off. */
export const METRICS_COST_TARGET = 0.9;

/** `name{labels} value` lines of a scrape summed over series whose labels include `match`. */
function sumSeries(text: string, name: string, match: string): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) && line.includes(match)) {
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return total;
}

/**
 * `ratio X, median of paired rounds Y (target) verdict, server CPU ratio Z; per round …`.
 * Paired rounds run back to back: their median shrugs off a neighbour's burst that lands on
 * one side of one round, which the ratio of totals does not.
 */
function versus(side: SideTotal, base: SideTotal, isVerdict: boolean): string {
  const ratio = rate(side) / rate(base);
  const paired = side.perRound.map((r, i) => r / (base.perRound[i] ?? Number.NaN));
  const median = percentile(paired, 50);
  const cpu = base.serverCpuSeconds / base.requests / (side.serverCpuSeconds / side.requests);
  const verdict = isVerdict
    ? ` (target ≥ ${fmt(METRICS_COST_TARGET, 2)}) ${median >= METRICS_COST_TARGET ? 'OK' : 'MISSED'}`
    : '';
  return `ratio ${fmt(ratio, 2)}, median of paired rounds ${fmt(median, 2)}${verdict}, server CPU ratio ${fmt(cpu, 2)}; per round ${perRound(side, base)}`;
}

/**
 * What metrics cost a request: a blocked-IP flood of logins and refreshes with unknown tokens,
 * each against two otherwise identical servers (in-process detection store, full services),
 * one with metrics off (`METRICS_PORT=off`) and one with them on (hook, observers, listener).
 * Rounds alternate between the two; the load runs in a process of its own.
 */
export async function runMetricsCostBench(): Promise<string[]> {
  const rounds = Math.round(envNumber('BENCH_MC_ROUNDS', 12));
  const seconds = envNumber('BENCH_MC_SECONDS', 1);
  const lines: string[] = [];
  const servers: DetectorHttpServer[] = [];
  let worker: WorkerHandle | null = null;
  try {
    // A second metrics-off server as a control: off vs off shows the bench's own tilt.
    const [off, on, control] = await Promise.all([
      startDetectorHttpServer('memory', { metrics: false }),
      startDetectorHttpServer('memory', { metrics: true }),
      startDetectorHttpServer('memory', { metrics: false }),
    ]);
    servers.push(off, on, control);
    worker = WorkerHandle.start(join(import.meta.dirname, 'lib', 'detector-http-load.ts'));
    const blockNotes = [
      await blockFloodAddress(off),
      await blockFloodAddress(on),
      await blockFloodAddress(control),
    ];
    const cases: Array<{ kind: DetectorHttpKind; title: string }> = [
      {
        kind: 'flood-login',
        title: 'flood of POST /api/auth/login from a blocked IP (16 keep-alive clients)',
      },
      {
        kind: 'refresh-unknown',
        title: 'POST /api/auth/refresh, unknown token (precheck, 1 DB lookup, 401)',
      },
    ];
    for (const c of cases) {
      const sides: Side[] = [
        { label: 'off', server: off, kind: c.kind },
        { label: 'on', server: on, kind: c.kind },
        { label: 'control', server: control, kind: c.kind },
      ];
      const totals = await compare(worker, sides, rounds, seconds, 16);
      const base = totals.get('off') as SideTotal;
      const withMetrics = totals.get('on') as SideTotal;
      const controlTotal = totals.get('control') as SideTotal;
      lines.push(`${c.title}:`);
      lines.push(`  metrics off: ${describe(base)}`);
      lines.push(`  metrics on: ${describe(withMetrics)} → ${versus(withMetrics, base, true)}`);
      lines.push(
        `  control, metrics off vs off (the bench's own tilt): ${describe(controlTotal)} → ${versus(controlTotal, base, false)}`,
      );
    }
    // The "on" server really counted: its own /metrics agrees with what the load saw.
    if (on.metricsUrl !== null) {
      const text = await (await fetch(`${on.metricsUrl}/metrics`)).text();
      const metric = 'flux_auth_http_requests_total';
      const blocked = sumSeries(text, metric, 'route="/api/auth/login",method="POST",status="429"');
      const refresh = sumSeries(
        text,
        metric,
        'route="/api/auth/refresh",method="POST",status="401"',
      );
      lines.push(
        `  scrape of the metrics-on server: ${blocked} login 429s, ${refresh} refresh 401s counted`,
      );
    }
    lines.push(`  block set up by: ${blockNotes.join('; ')}`);
    lines.push(
      `  setup: ${rounds} rounds of ${seconds} s per side, order rotated each round, three servers in separate processes (full services, fresh SQLite, in-process store), load from one more process; server CPU ratio = CPU per request off / on (what throughput would be if CPU alone decided)`,
    );
    return lines;
  } finally {
    await worker?.close();
    await Promise.all(servers.map((s) => s.stop()));
  }
}
