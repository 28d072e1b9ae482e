// Worker process: closed-loop successful logins against a running flux-auth server, counted
// only while the parent has measuring switched on.
import { LoopbackClient } from './http-client.ts';
import type { LoginLoadConfig, LoginLoadResult, LoginSlice } from './login-load.ts';
import { SourceAddressPool } from './net.ts';
import { bump, summarize } from './stats.ts';
import { serveWorker } from './worker.ts';

let running = false;
let paused = false;
let measuringSince: number | null = null;
let measuredMs = 0;
let cpuSince: NodeJS.CpuUsage | null = null;
let cpuMicros = 0;
let ok = 0;
let okAtOn = 0;
let transportErrors = 0;
const statuses: Record<string, number> = {};
const latencies: number[] = [];
let clients: Promise<void>[] = [];
/** Clients that are between requests because of a pause. */
let idle = 0;
let onAllIdle: (() => void) | null = null;
let onResume: (() => void) | null = null;
let resumed: Promise<void> = Promise.resolve();

async function clientLoop(config: LoginLoadConfig, index: number, pool: SourceAddressPool) {
  const account = config.accounts[index % config.accounts.length];
  if (!account) throw new Error('no accounts to log in with');
  const client = new LoopbackClient(config.baseUrl, { pool });
  try {
    while (running) {
      if (paused) {
        idle++;
        if (idle === clients.length) onAllIdle?.();
        await resumed;
        idle--;
        continue;
      }
      let status: number | 'error';
      let ms = 0;
      try {
        const answer = await client.send('POST', '/api/auth/login', account);
        status = answer.status;
        ms = answer.ms;
      } catch {
        status = 'error';
        client.close();
      }
      if (measuringSince !== null) {
        bump(statuses, status);
        if (status === 200) {
          ok++;
          latencies.push(ms);
        } else if (status === 'error') {
          transportErrors++;
        }
      }
      // Hash queue full (503) or refused: back off briefly, as a well-behaved client would.
      if (status !== 200) await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    client.close();
  }
}

/** Ends a measuring slice; returns the 200s counted and its length, or null if none ran. */
function stopMeasuring(): LoginSlice | null {
  if (measuringSince === null) return null;
  const sliceMs = performance.now() - measuringSince;
  measuredMs += sliceMs;
  const cpu = process.cpuUsage(cpuSince ?? undefined);
  cpuMicros += cpu.user + cpu.system;
  measuringSince = null;
  cpuSince = null;
  return { ok: ok - okAtOn, seconds: sliceMs / 1000 };
}

serveWorker({
  start: async (config: LoginLoadConfig) => {
    if (running) throw new Error('already started');
    running = true;
    const pool = new SourceAddressPool(config.addressBlock);
    clients = Array.from({ length: config.concurrency }, (_, i) => clientLoop(config, i, pool));
    return null;
  },
  measureOn: async () => {
    if (measuringSince === null) {
      measuringSince = performance.now();
      cpuSince = process.cpuUsage();
      okAtOn = ok;
    }
    return null;
  },
  measureOff: async () => stopMeasuring(),
  /** Resolves once every client has finished its request in flight and is waiting. */
  pause: async () => {
    stopMeasuring();
    if (paused) return null;
    resumed = new Promise<void>((done) => {
      onResume = done;
    });
    const allIdle = new Promise<void>((done) => {
      onAllIdle = done;
    });
    paused = true;
    await allIdle;
    return null;
  },
  resume: async () => {
    paused = false;
    onResume?.();
    return null;
  },
  /** Stops every client and reports what was counted while measuring. */
  stop: async (): Promise<LoginLoadResult> => {
    stopMeasuring();
    running = false;
    paused = false;
    onResume?.();
    await Promise.all(clients);
    const seconds = measuredMs / 1000;
    return {
      ok,
      seconds,
      perSecond: ok / seconds,
      statuses,
      transportErrors,
      latency: summarize(latencies),
      generatorCpuSeconds: cpuMicros / 1e6,
    };
  },
});
