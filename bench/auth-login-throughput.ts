import { availableParallelism } from 'node:os';
import { combineHashRates, type HashRateResult, RawVerifyRate } from './lib/hash-rate.ts';
import { createAccounts, LoginLoad, type LoginSlice } from './lib/login-load.ts';
import { addThreadDeltas, processCpuSeconds, threadCpuSeconds } from './lib/proc.ts';
import { type Measurement, measureWithOneRetry } from './lib/retry.ts';
import { type RunningServer, startServer } from './lib/server.ts';
import { envNumber, hashSettingsLine } from './lib/settings.ts';
import { fmt, formatStatusCounts } from './lib/stats.ts';
import { sleep } from './lib/time.ts';

/** Ratio of login throughput to raw argon2id verify throughput the service should reach (issue 13). */
export const LOGIN_THROUGHPUT_TARGET = 0.95;

/**
 * Successful logins/s against a real server process (closed-loop clients in a separate
 * process) as a ratio of raw argon2id verifies/s (service parameters, one loop per CPU, in
 * another process), measured in the same run. The two are measured in alternating slices
 * (logins paused and drained during each raw slice), so the load other work puts on a shared
 * machine lands on both sides alike.
 */
export function runLoginThroughputBench(): Promise<string[]> {
  return measureWithOneRetry(loginThroughputOnce);
}

async function loginThroughputOnce(): Promise<Measurement> {
  const rounds = Math.round(envNumber('BENCH_ROUNDS', 4));
  const rawSeconds = envNumber('BENCH_BASELINE_SECONDS', 8);
  const loginSeconds = envNumber('BENCH_LOGIN_SECONDS', 10);
  const warmupSeconds = envNumber('BENCH_WARMUP_SECONDS', 3);
  const clients = Math.round(envNumber('BENCH_LOGIN_CLIENTS', 32));
  const cpus = availableParallelism();

  const raw = await RawVerifyRate.start(cpus);
  let server: RunningServer | null = null;
  let load: LoginLoad | null = null;
  const rawSlices: HashRateResult[] = [];
  const loginSlices: LoginSlice[] = [];
  let serverCpu = 0;
  const threadCpu = new Map<number, number>();
  try {
    server = await startServer();
    const accounts = await createAccounts(server.baseUrl, clients, 3);
    load = await LoginLoad.start({
      baseUrl: server.baseUrl,
      accounts,
      concurrency: clients,
      addressBlock: 1,
    });
    await sleep(warmupSeconds * 1000);
    for (let round = 0; round < rounds; round++) {
      const cpuBefore = processCpuSeconds(server.pid);
      const threadsBefore = threadCpuSeconds(server.pid);
      await load.measureOn();
      await sleep((loginSeconds / rounds) * 1000);
      const slice = await load.measureOff();
      serverCpu += processCpuSeconds(server.pid) - cpuBefore;
      addThreadDeltas(threadCpu, threadsBefore, threadCpuSeconds(server.pid));
      if (slice) loginSlices.push(slice);
      await load.pause();
      rawSlices.push(await raw.measure(rawSeconds / rounds));
      await load.resume();
      // Let the queue fill again before the next slice is counted.
      await sleep(500);
    }
    const result = await load.stop();
    load = null;
    const crash = server.earlyExit();

    const rawTotal = combineHashRates(rawSlices);
    const ratio = result.perSecond / rawTotal.perSecond;
    const roundRatios = loginSlices.map((s, i) => {
      const r = rawSlices[i];
      return r ? s.ok / s.seconds / r.perSecond : Number.NaN;
    });
    const rawCpuMsPerVerify = (rawTotal.cpuSeconds / rawTotal.verifies) * 1000;
    const serverCpuMsPerLogin = (serverCpu / result.ok) * 1000;
    const rawRates = rawSlices.map((s) => fmt(s.perSecond, 0)).join('/');
    const loginRates = loginSlices.map((s) => fmt(s.ok / s.seconds, 0)).join('/');
    const lines = [
      `login throughput: ${fmt(result.perSecond)} logins/s vs raw argon2id ${fmt(rawTotal.perSecond)} verifies/s → ratio ${fmt(ratio, 2)} (target ≥ ${fmt(LOGIN_THROUGHPUT_TARGET, 2)}) ${ratio >= LOGIN_THROUGHPUT_TARGET ? 'OK' : 'MISSED'}`,
      `  ${rounds} alternating rounds: logins/s ${loginRates}; raw verifies/s ${rawRates}; per-round ratio ${roundRatios.map((r) => fmt(r, 2)).join('/')}`,
      `  logins: ${clients} closed-loop clients, ${fmt(result.seconds)} s counted after ${fmt(warmupSeconds)} s warm-up; answers ${formatStatusCounts(result.statuses)}; latency p50 ${fmt(result.latency.p50)} ms, p99 ${fmt(result.latency.p99)} ms`,
      `  raw: ${cpus} verify loops, ${fmt(rawTotal.seconds)} s in a separate process`,
      `  CPU: server ${fmt(serverCpu / result.seconds, 2)} cores busy, ${fmt(serverCpuMsPerLogin)} ms CPU per login vs ${fmt(rawCpuMsPerVerify)} ms per raw verify (efficiency ${fmt(rawCpuMsPerVerify / serverCpuMsPerLogin, 2)}); load generator ${fmt(result.generatorCpuSeconds / result.seconds, 2)} cores`,
      `  ${threadBreakdownLine(threadCpu, server.pid, result.ok)}`,
      `  ${hashSettingsLine()}`,
      ...(crash ? [`  WARNING: ${crash}`] : []),
    ];
    return { lines, crash };
  } finally {
    await load?.close();
    await server?.stop();
    await raw.close();
  }
}

/** Threads busy hashing: one per in-flight slot (HASH_MAX_IN_FLIGHT, default CPUs + 1). */
function hashThreadCount(): number {
  return Math.round(envNumber('HASH_MAX_IN_FLIGHT', availableParallelism() + 1));
}

/**
 * Where the server's CPU per login went, by thread: the main thread (event loop), the busiest
 * threads (as many as hash slots: the argon2id workers) and all others (V8's GC and compiler
 * helpers, libuv). Threads are unnamed on Node 20, so the hash threads are told by their load.
 */
function threadBreakdownLine(
  threadCpu: ReadonlyMap<number, number>,
  mainTid: number,
  logins: number,
): string {
  const perLogin = (seconds: number) => fmt((seconds / Math.max(1, logins)) * 1000, 2);
  const main = threadCpu.get(mainTid) ?? 0;
  const others = [...threadCpu].filter(([tid]) => tid !== mainTid).map(([, s]) => s);
  others.sort((a, b) => b - a);
  const hashing = others.slice(0, hashThreadCount());
  const rest = others.slice(hashThreadCount()).reduce((sum, s) => sum + s, 0);
  const hashTotal = hashing.reduce((sum, s) => sum + s, 0);
  return `CPU ms per login by thread: main (event loop) ${perLogin(main)}, ${hashing.length} hash threads ${perLogin(hashTotal)}, other threads (GC, compiler, libuv) ${perLogin(rest)}`;
}
