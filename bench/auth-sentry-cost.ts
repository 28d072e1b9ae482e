import { createAccounts, LoginLoad, type LoginSlice } from './lib/login-load.ts';
import { processCpuSeconds } from './lib/proc.ts';
import { type Measurement, measureWithOneRetry } from './lib/retry.ts';
import { startSentrySink } from './lib/sentry-sink.ts';
import { type RunningServer, startServer } from './lib/server.ts';
import { envNumber } from './lib/settings.ts';
import { fmt, percentile } from './lib/stats.ts';
import { sleep } from './lib/time.ts';

/** Login throughput with Sentry at production sampling, as a ratio of Sentry off. */
export const SENTRY_LOGIN_TARGET = 0.95;

/** One server of the comparison, its load and what each round measured on it. */
interface SentrySide {
  readonly name: string;
  readonly server: RunningServer;
  readonly load: LoginLoad;
  /** Logins/s of each counted round, in round order. */
  readonly rates: number[];
  /** Server CPU seconds per successful login of each counted round. */
  readonly cpuPerLogin: number[];
}

/** The orders of three sides: every side comes first, second and last equally often. */
const ROTATIONS: readonly (readonly number[])[] = [
  [0, 1, 2],
  [1, 2, 0],
  [2, 0, 1],
  [0, 2, 1],
  [2, 1, 0],
  [1, 0, 2],
];

/**
 * Successful logins/s of a server with Sentry on (production sampling: 10% of requests traced,
 * the instrument file loaded with --import, a real ingestion endpoint) as a ratio of the same
 * server with Sentry off, plus a control: a second Sentry-off server against the first, which
 * shows what the bench itself tilts. The three run at once; each round measures every side
 * for one slice in a rotated order (each side first, middle and last equally often), after a
 * discarded warm-up round; the verdict is the median of the per-round ratios.
 */
export function runSentryCostBench(): Promise<string[]> {
  return measureWithOneRetry(sentryCostOnce);
}

async function measureSlice(side: SentrySide, seconds: number): Promise<LoginSlice | null> {
  await side.load.resume();
  await sleep(500);
  const cpuBefore = processCpuSeconds(side.server.pid);
  await side.load.measureOn();
  await sleep(seconds * 1000);
  const slice = await side.load.measureOff();
  const cpu = processCpuSeconds(side.server.pid) - cpuBefore;
  await side.load.pause();
  if (slice !== null && slice.ok > 0) {
    side.rates.push(slice.ok / slice.seconds);
    side.cpuPerLogin.push(cpu / slice.ok);
  }
  return slice;
}

/** Median of `a[i] / b[i]`, and the middle half of those ratios. */
function pairedRatios(a: readonly number[], b: readonly number[]) {
  const ratios = a.map((value, i) => value / (b[i] ?? Number.NaN)).filter(Number.isFinite);
  return {
    median: percentile(ratios, 50),
    low: percentile(ratios, 25),
    high: percentile(ratios, 75),
    count: ratios.length,
  };
}

async function sentryCostOnce(): Promise<Measurement> {
  const rounds = Math.round(envNumber('BENCH_ROUNDS', 12));
  // Longer than the other benches: the difference sought is a few percent on a shared machine.
  const sliceSeconds = envNumber('BENCH_SENTRY_SECONDS', 36) / rounds;
  const warmupSeconds = envNumber('BENCH_WARMUP_SECONDS', 3);
  const clients = Math.round(envNumber('BENCH_LOGIN_CLIENTS', 32));
  const sink = await startSentrySink();
  const servers: RunningServer[] = [];
  const sides: SentrySide[] = [];
  try {
    const nodeArgs = ['--import', './bin/instrument.js'];
    const readyTimeoutMs = 180_000;
    const sentryEnv = {
      SENTRY_DSN: sink.dsn,
      SENTRY_ENVIRONMENT: 'production',
      SENTRY_TRACES_SAMPLE_RATE: '0.1',
    };
    const variants = [
      { name: 'off', env: {} },
      { name: 'on', env: sentryEnv },
      { name: 'control', env: {} },
    ];
    for (const [index, variant] of variants.entries()) {
      const server = await startServer({ nodeArgs, readyTimeoutMs, env: variant.env });
      servers.push(server);
      const block = index + 1;
      const accounts = await createAccounts(server.baseUrl, clients, block);
      const load = await LoginLoad.start({
        baseUrl: server.baseUrl,
        accounts,
        concurrency: clients,
        addressBlock: block,
      });
      sides.push({ name: variant.name, server, load, rates: [], cpuPerLogin: [] });
      // Warm-up (JIT, connection pools, the first traces), not counted.
      await sleep(warmupSeconds * 1000);
      await load.pause();
    }
    // One interleaved round more, discarded: the first slices after the warm-ups.
    for (const side of sides) await measureSlice(side, Math.min(1, sliceSeconds));
    for (const side of sides) {
      side.rates.length = 0;
      side.cpuPerLogin.length = 0;
    }
    for (let round = 0; round < rounds; round++) {
      for (const index of ROTATIONS[round % ROTATIONS.length] ?? []) {
        const side = sides[index];
        if (side !== undefined) await measureSlice(side, sliceSeconds);
      }
    }
    const [off, on, control] = sides as [SentrySide, SentrySide, SentrySide];
    const crash = servers.map((s) => s.earlyExit()).find((note) => note !== null) ?? null;
    const lines = [
      compareLine('login with Sentry (production sampling 0.1) vs Sentry off', on, off, true),
      compareLine(
        "control: login with Sentry off vs Sentry off (the bench's own tilt)",
        control,
        off,
        false,
      ),
      `  ${rounds} rounds of ${fmt(sliceSeconds)} s per side after a discarded warm-up round, order rotated over the 6 orders of 3 servers, ${clients} closed-loop clients per server; envelopes received by the ingestion endpoint: ${sink.received()}`,
      ...(crash ? [`  WARNING: ${crash}`] : []),
    ];
    return { lines, crash };
  } finally {
    for (const side of sides) await side.load.close().catch(() => {});
    for (const server of servers) await server.stop();
    await sink.close();
  }
}

/** `title: median of paired rounds … (target) verdict`, then totals and server CPU per login. */
function compareLine(
  title: string,
  side: SentrySide,
  base: SentrySide,
  isVerdict: boolean,
): string {
  const paired = pairedRatios(side.rates, base.rates);
  const cpu = pairedRatios(base.cpuPerLogin, side.cpuPerLogin);
  const mean = (values: readonly number[]) =>
    values.reduce((sum, v) => sum + v, 0) / Math.max(1, values.length);
  const verdict = isVerdict
    ? ` (target ≥ ${fmt(SENTRY_LOGIN_TARGET, 2)}) ${paired.median >= SENTRY_LOGIN_TARGET ? 'OK' : 'MISSED'}`
    : '';
  return [
    `${title}: median of ${paired.count} paired rounds ${fmt(paired.median, 2)}${verdict}`,
    `    middle half ${fmt(paired.low, 2)}–${fmt(paired.high, 2)}; ${fmt(mean(side.rates))} vs ${fmt(mean(base.rates))} logins/s; server CPU per login ${fmt(mean(side.cpuPerLogin) * 1000)} vs ${fmt(mean(base.cpuPerLogin) * 1000)} ms (CPU ratio, median of rounds, ${fmt(cpu.median, 2)})`,
  ].join('\n');
}
