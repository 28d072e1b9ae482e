// Child process: closed-loop successful logins against a running flux-auth server.
import { LoopbackClient } from './http-client.ts';
import type { LoginLoadInput, LoginLoadResult } from './login-load.ts';
import { SourceAddressPool } from './net.ts';
import { bump, summarize } from './stats.ts';
import { workerMain } from './worker.ts';

workerMain<LoginLoadInput, LoginLoadResult>(async (input, emit) => {
  const pool = new SourceAddressPool(input.addressBlock);
  const start = performance.now();
  const windowStart = start + input.warmupSeconds * 1000;
  const windowEnd = windowStart + input.measureSeconds * 1000;
  const statuses: Record<string, number> = {};
  const latencies: number[] = [];
  let ok = 0;
  let transportErrors = 0;
  let cpuAtWindowStart: NodeJS.CpuUsage | null = null;
  const windowTimer = setTimeout(() => {
    cpuAtWindowStart = process.cpuUsage();
    emit('measuring');
  }, input.warmupSeconds * 1000);

  await Promise.all(
    Array.from({ length: input.concurrency }, async (_, i) => {
      const account = input.accounts[i % input.accounts.length];
      if (!account) throw new Error('no accounts to log in with');
      const client = new LoopbackClient(input.baseUrl, { pool });
      try {
        while (performance.now() < windowEnd) {
          let status: number | 'error';
          let ms = 0;
          try {
            const answer = await client.send('POST', '/api/auth/login', account);
            status = answer.status;
            ms = answer.ms;
            if (status === 503) {
              // Hash queue full: honour a short back-off like a well-behaved client would.
              await new Promise((r) => setTimeout(r, 50));
            }
          } catch {
            status = 'error';
            client.close();
          }
          const done = performance.now();
          if (done < windowStart || done > windowEnd) continue;
          bump(statuses, status);
          if (status === 200) {
            ok++;
            latencies.push(ms);
          } else if (status === 'error') {
            transportErrors++;
          }
        }
      } finally {
        client.close();
      }
    }),
  );
  clearTimeout(windowTimer);
  const cpu = process.cpuUsage(cpuAtWindowStart ?? undefined);
  return {
    ok,
    seconds: input.measureSeconds,
    perSecond: ok / input.measureSeconds,
    statuses,
    transportErrors,
    latency: summarize(latencies),
    generatorCpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
});
