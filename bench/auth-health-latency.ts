import { probeHealth } from './lib/health-probe.ts';
import { createAccounts, LoginLoad } from './lib/login-load.ts';
import { type Measurement, measureWithOneRetry } from './lib/retry.ts';
import { type RunningServer, startServer } from './lib/server.ts';
import { envNumber, hashSettingsLine } from './lib/settings.ts';
import { fmt, formatStatusCounts, summarize } from './lib/stats.ts';
import { sleep } from './lib/time.ts';

/** `/health` p99 under login saturation the service should stay below, in ms. */
export const HEALTH_P99_TARGET_MS = 10;

/**
 * `/health` latency from a sequential client (this process) while closed-loop logins from a
 * separate process saturate the server's CPUs, against `/health` latency of the same server
 * when idle, measured first in the same run. Counts every non-200 answer on both sides.
 */
export function runHealthLatencyBench(): Promise<string[]> {
  return measureWithOneRetry(healthLatencyOnce);
}

async function healthLatencyOnce(): Promise<Measurement> {
  const probeSeconds = envNumber('BENCH_HEALTH_SECONDS', 8);
  const rate = envNumber('BENCH_HEALTH_RATE', 20);
  const warmupSeconds = envNumber('BENCH_WARMUP_SECONDS', 3);
  const clients = Math.round(envNumber('BENCH_LOGIN_CLIENTS', 32));

  let server: RunningServer | null = null;
  let load: LoginLoad | null = null;
  try {
    server = await startServer();
    const accounts = await createAccounts(server.baseUrl, clients, 3);
    // A short unmeasured probe warms the health route's code paths (JIT, serializers).
    await probeHealth(server.baseUrl, 1, rate, 4);
    const idle = await probeHealth(server.baseUrl, probeSeconds, rate, 2);

    load = await LoginLoad.start({
      baseUrl: server.baseUrl,
      accounts,
      concurrency: clients,
      addressBlock: 1,
    });
    await sleep(warmupSeconds * 1000);
    await load.measureOn();
    const busy = await probeHealth(server.baseUrl, probeSeconds, rate, 2);
    await load.measureOff();
    const logins = await load.stop();
    load = null;
    const crash = server.earlyExit();

    const idleStats = summarize(idle.latencies);
    const busyStats = summarize(busy.latencies);
    const ratio = busyStats.p99 / idleStats.p99;
    const loginNon200 = Object.entries(logins.statuses)
      .filter(([status]) => status !== '200')
      .reduce((sum, [, n]) => sum + n, 0);
    const lines = [
      `/health p99 under login saturation: ${fmt(busyStats.p99)} ms (idle p99 ${fmt(idleStats.p99)} ms, ratio ${fmt(ratio)}×; target p99 < ${HEALTH_P99_TARGET_MS} ms) ${busyStats.p99 < HEALTH_P99_TARGET_MS ? 'OK' : 'MISSED'}`,
      `  saturated: ${busyStats.count} GETs at ${rate}/s: p50 ${fmt(busyStats.p50, 2)} ms, p99 ${fmt(busyStats.p99, 2)} ms, max ${fmt(busyStats.max, 2)} ms; non-200 ${busy.non200} (${formatStatusCounts(busy.statuses)})`,
      `  idle:      ${idleStats.count} GETs at ${rate}/s: p50 ${fmt(idleStats.p50, 2)} ms, p99 ${fmt(idleStats.p99, 2)} ms, max ${fmt(idleStats.max, 2)} ms; non-200 ${idle.non200} (${formatStatusCounts(idle.statuses)})`,
      `  load meanwhile: ${clients} login clients, ${fmt(logins.perSecond)} logins/s; login answers ${formatStatusCounts(logins.statuses)} (non-200 ${loginNon200}); login p99 ${fmt(logins.latency.p99)} ms`,
      `  ${hashSettingsLine()}`,
      ...(crash ? [`  WARNING: ${crash}`] : []),
    ];
    return { lines, crash };
  } finally {
    await load?.close();
    await server?.stop();
  }
}
