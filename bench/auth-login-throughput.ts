import { availableParallelism } from 'node:os';
import { measureRawVerifyRate } from './lib/hash-rate.ts';
import { createAccounts, runLoginLoad } from './lib/login-load.ts';
import { processCpuSeconds } from './lib/proc.ts';
import { startServer } from './lib/server.ts';
import { envNumber, hashSettingsLine } from './lib/settings.ts';
import { fmt, formatStatusCounts } from './lib/stats.ts';

/** Ratio of login throughput to raw argon2id verify throughput the service should reach. */
export const LOGIN_THROUGHPUT_TARGET = 0.9;

/**
 * Successful logins/s against a real server process, as a ratio of raw argon2id verifies/s
 * (service parameters, CPUs saturated, separate process) measured in the same run. The raw
 * rate is measured in two halves, before and after the logins, and averaged, so drift on a
 * shared machine hits both sides alike; both halves are printed.
 */
export async function runLoginThroughputBench(): Promise<string[]> {
  const baselineSeconds = envNumber('BENCH_BASELINE_SECONDS', 8);
  const measureSeconds = envNumber('BENCH_LOGIN_SECONDS', 10);
  const warmupSeconds = envNumber('BENCH_WARMUP_SECONDS', 3);
  const clients = envNumber('BENCH_LOGIN_CLIENTS', 32);
  const cpus = availableParallelism();

  const before = await measureRawVerifyRate(baselineSeconds / 2, cpus);

  const server = await startServer();
  let load: Awaited<ReturnType<typeof runLoginLoad>>;
  let serverCpu = Number.NaN;
  try {
    const accounts = await createAccounts(server.baseUrl, clients, 3);
    let cpuAtStart = Number.NaN;
    let windowTimer: NodeJS.Timeout | undefined;
    load = await runLoginLoad(
      {
        baseUrl: server.baseUrl,
        accounts,
        concurrency: clients,
        warmupSeconds,
        measureSeconds,
        addressBlock: 1,
      },
      () => {
        cpuAtStart = processCpuSeconds(server.pid);
        windowTimer = setTimeout(() => {
          serverCpu = processCpuSeconds(server.pid) - cpuAtStart;
        }, measureSeconds * 1000);
      },
    );
    clearTimeout(windowTimer);
  } finally {
    await server.stop();
  }

  const after = await measureRawVerifyRate(baselineSeconds / 2, cpus);
  const raw = (before.perSecond + after.perSecond) / 2;
  const ratio = load.perSecond / raw;
  const rawCpuMsPerVerify =
    ((before.cpuSeconds + after.cpuSeconds) / (before.verifies + after.verifies)) * 1000;
  const serverCpuMsPerLogin = (serverCpu / load.ok) * 1000;
  const drift = Math.abs(before.perSecond - after.perSecond) / raw;

  const lines = [
    `login throughput: ${fmt(load.perSecond)} logins/s vs raw argon2id ${fmt(raw)} verifies/s → ratio ${fmt(ratio, 2)} (target ≥ ${fmt(LOGIN_THROUGHPUT_TARGET, 2)}) ${ratio >= LOGIN_THROUGHPUT_TARGET ? 'OK' : 'MISSED'}`,
    `  raw argon2id: ${cpus} verify loops, before ${fmt(before.perSecond)}/s, after ${fmt(after.perSecond)}/s (${fmt(baselineSeconds / 2)} s each)${drift > 0.15 ? ` — baseline drifted ${fmt(drift * 100, 0)}%: machine noisy, ratio uncertain` : ''}`,
    `  logins: ${clients} closed-loop clients, ${fmt(measureSeconds)} s after ${fmt(warmupSeconds)} s warm-up; answers ${formatStatusCounts(load.statuses)}; latency p50 ${fmt(load.latency.p50)} ms, p99 ${fmt(load.latency.p99)} ms`,
    `  CPU: server ${fmt(serverCpu / measureSeconds, 2)} cores busy, ${fmt(serverCpuMsPerLogin)} ms CPU per login vs ${fmt(rawCpuMsPerVerify)} ms per raw verify; load generator ${fmt(load.generatorCpuSeconds / measureSeconds, 2)} cores`,
    `  ${hashSettingsLine()}`,
  ];
  return lines;
}
