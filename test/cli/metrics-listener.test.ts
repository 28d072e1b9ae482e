import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/attack-redis-server.ts';
import { runCli } from '../helpers/cli.ts';
import { listeningPortsOf } from '../helpers/listening-ports.ts';
import { scrapeMetrics } from '../helpers/metrics-scrape.ts';

const children: ChildProcess[] = [];

/** `flux-auth start` in a fresh directory; resolves once /health answers on `port`. */
async function startCli(env: Record<string, string>, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(process.cwd(), 'bin', 'flux-auth.js'), 'start'], {
    cwd: mkdtempSync(join(tmpdir(), 'flux-metrics-cli-')),
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', PORT: String(port), ...env },
    stdio: 'ignore',
  });
  children.push(child);
  for (let i = 0; i < 800; i += 1) {
    if (child.exitCode !== null) throw new Error(`start exited with ${child.exitCode}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) return child;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('flux-auth start did not become healthy');
}

function occupy(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

afterEach(async () => {
  await Promise.all(
    children.splice(0).map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
});

describe('the metrics listener of flux-auth start', () => {
  it('refuses a METRICS_PORT in use with one line naming it and exit 69', async () => {
    const taken = await freePort();
    const holder = await occupy(taken);
    try {
      const result = await runCli(['start'], { PORT: '0', METRICS_PORT: String(taken) });
      expect(result.code).toBe(69);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toBe(
        `flux-auth: METRICS_PORT: port ${taken} on 127.0.0.1 is already in use; set METRICS_PORT to a free port, or METRICS_PORT=off.`,
      );
    } finally {
      holder.close();
    }
  });

  it('listens on METRICS_PORT + NODE_APP_INSTANCE (PM2 cluster mode) and serves /metrics', async () => {
    const apiPort = await freePort();
    const metricsPort = await freePort();
    const child = await startCli(
      { METRICS_PORT: String(metricsPort - 2), NODE_APP_INSTANCE: '2' },
      apiPort,
    );
    expect(listeningPortsOf(child.pid ?? -1)).toEqual([apiPort, metricsPort].sort((a, b) => a - b));
    const scrape = await scrapeMetrics(`http://127.0.0.1:${metricsPort}`);
    expect(scrape.value('flux_auth_detection_store_mode', { mode: 'memory' })).toBe(1);
  }, 90_000);

  it('METRICS_PORT=off opens no listener besides the API', async () => {
    const apiPort = await freePort();
    const child = await startCli({ METRICS_PORT: 'off' }, apiPort);
    expect(listeningPortsOf(child.pid ?? -1)).toEqual([apiPort]);
  }, 90_000);
});
