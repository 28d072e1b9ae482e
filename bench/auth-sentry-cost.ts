import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAccounts, LoginLoad, type LoginSlice } from './lib/login-load.ts';
import { type Measurement, measureWithOneRetry } from './lib/retry.ts';
import { type RunningServer, startServer } from './lib/server.ts';
import { envNumber } from './lib/settings.ts';
import { fmt } from './lib/stats.ts';
import { sleep } from './lib/time.ts';

/** Login throughput with Sentry at production sampling, as a ratio of Sentry off. */
export const SENTRY_LOGIN_TARGET = 0.95;

/** A Sentry ingestion endpoint that accepts and discards envelopes, counting them. */
async function startSink(): Promise<{
  dsn: string;
  received: () => number;
  close(): Promise<void>;
}> {
  let received = 0;
  const server: Server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      received += 1;
      response.writeHead(200).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    dsn: `http://0123456789abcdef0123456789abcdef@127.0.0.1:${port}/1`,
    received: () => received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Successful logins/s of a server with Sentry on (production sampling: 10% of requests traced,
 * the instrument file loaded with --import, a real ingestion endpoint) as a ratio of the same
 * server with Sentry off, both running at once and loaded in alternating slices so the
 * machine's other load lands on both alike.
 */
export function runSentryCostBench(): Promise<string[]> {
  return measureWithOneRetry(sentryCostOnce);
}

async function sentryCostOnce(): Promise<Measurement> {
  const rounds = Math.round(envNumber('BENCH_ROUNDS', 4));
  // Longer than the other benches: the difference sought is a few percent on a shared machine.
  const sliceSeconds = envNumber('BENCH_SENTRY_SECONDS', 24) / rounds;
  const warmupSeconds = envNumber('BENCH_WARMUP_SECONDS', 3);
  const clients = Math.round(envNumber('BENCH_LOGIN_CLIENTS', 32));
  const sink = await startSink();
  const servers: RunningServer[] = [];
  const loads: LoginLoad[] = [];
  try {
    const nodeArgs = ['--import', './bin/instrument.js'];
    const readyTimeoutMs = 180_000;
    const off = await startServer({ nodeArgs, readyTimeoutMs });
    servers.push(off);
    const on = await startServer({
      nodeArgs,
      readyTimeoutMs,
      // BENCH_SENTRY_CONTROL=1 runs both sides without Sentry: what the bench itself tilts.
      env: {
        SENTRY_DSN: envNumber('BENCH_SENTRY_CONTROL', 0) === 1 ? '' : sink.dsn,
        SENTRY_ENVIRONMENT: 'production',
        SENTRY_TRACES_SAMPLE_RATE: '0.1',
      },
    });
    servers.push(on);
    const sides = [
      { name: 'off', server: off, block: 1, slices: [] as LoginSlice[] },
      { name: 'on', server: on, block: 2, slices: [] as LoginSlice[] },
    ];
    for (const side of sides) {
      const accounts = await createAccounts(side.server.baseUrl, clients, side.block);
      const load = await LoginLoad.start({
        baseUrl: side.server.baseUrl,
        accounts,
        concurrency: clients,
        addressBlock: side.block,
      });
      loads.push(load);
      // Warm-up (JIT, connection pools, the first traces), not counted.
      await sleep(warmupSeconds * 1000);
      await load.pause();
    }
    for (let round = 0; round < rounds; round++) {
      // Alternate which side goes first so warm-up and drift favour neither.
      const order = round % 2 === 0 ? [0, 1] : [1, 0];
      for (const index of order) {
        const side = sides[index];
        const load = loads[index];
        if (side === undefined || load === undefined) continue;
        await load.resume();
        await sleep(500);
        await load.measureOn();
        await sleep(sliceSeconds * 1000);
        const slice = await load.measureOff();
        await load.pause();
        if (slice) side.slices.push(slice);
      }
    }
    const rate = (slices: readonly LoginSlice[]) =>
      slices.reduce((sum, s) => sum + s.ok, 0) / slices.reduce((sum, s) => sum + s.seconds, 0);
    const [offSide, onSide] = sides;
    const offRate = rate(offSide?.slices ?? []);
    const onRate = rate(onSide?.slices ?? []);
    const ratio = onRate / offRate;
    const crash = off.earlyExit() ?? on.earlyExit();
    const lines = [
      `login with Sentry (production sampling 0.1) vs Sentry off: ${fmt(onRate)} vs ${fmt(offRate)} logins/s → ratio ${fmt(ratio, 2)} (target ≥ ${fmt(SENTRY_LOGIN_TARGET, 2)}) ${ratio >= SENTRY_LOGIN_TARGET ? 'OK' : 'MISSED'}`,
      `  ${rounds} alternating rounds of ${fmt(sliceSeconds)} s per side, ${clients} closed-loop clients; envelopes received by the ingestion endpoint: ${sink.received()}`,
      ...(crash ? [`  WARNING: ${crash}`] : []),
    ];
    return { lines, crash };
  } finally {
    for (const load of loads) await load.close().catch(() => {});
    for (const server of servers) await server.stop();
    await sink.close();
  }
}
