import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { freePort } from './attack-redis-server.ts';

/** Re-exported: one definition of a free loopback port for every helper. */
export { freePort };

/** `flux-auth start` in a child process, as an operator runs it (`npm start`). */
export interface ServiceProcess {
  readonly url: string;
  /** Parsed JSON log lines so far. */
  readonly logs: Record<string, unknown>[];
  /** Raw stderr so far. */
  stderr(): string;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
}

const ROOT = process.cwd();

/**
 * Starts `node --import ./bin/instrument.js bin/flux-auth.js start` (the npm start command) with
 * only PATH and `env`, on a free port, and waits for `/health`.
 */
export async function startServiceProcess(env: Record<string, string>): Promise<ServiceProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', './bin/instrument.js', 'bin/flux-auth.js', 'start'],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        DATA_DIR: mkdtempSync(join(tmpdir(), 'flux-sentry-')),
        PORT: String(port),
        METRICS_PORT: 'off',
        LOG_LEVEL: 'info',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const logs: Record<string, unknown>[] = [];
  let partial = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ unparsed: line });
      }
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let isExited = false;
  void exited.then(() => {
    isExited = true;
  });
  for (let i = 0; ; i += 1) {
    if (isExited) throw new Error(`service exited during startup: ${stderr}`);
    if (i > 1200) {
      child.kill('SIGKILL');
      throw new Error(`service did not become healthy: ${stderr}`);
    }
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    logs,
    stderr: () => stderr,
    stop: async () => {
      if (!isExited) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Runs `node bin/flux-auth.js <args>` to its end with only PATH and `env`. */
export function runServiceCommand(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/flux-auth.js', ...args], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        DATA_DIR: mkdtempSync(join(tmpdir(), 'flux-sentry-')),
        PORT: '0',
        METRICS_PORT: 'off',
        ...env,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
