import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from './net.ts';

/** The repository root (bench/lib/../..). */
export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');

/** A flux-auth server running in a child process on 127.0.0.1. */
export interface RunningServer {
  readonly baseUrl: string;
  readonly pid: number;
  /** Null while the server runs; how it ended (and its last output) if it exited early. */
  earlyExit(): string | null;
  /** SIGTERM, wait for exit (SIGKILL after 10 s), delete the temporary data directory. */
  stop(): Promise<void>;
}

/** Options for {@link startServer}. */
export interface StartServerOptions {
  /** Extra environment (e.g. HASH_MAX_IN_FLIGHT, UV_THREADPOOL_SIZE); wins over the defaults. */
  readonly env?: Readonly<Record<string, string>>;
  /** Extra Node flags for the server process (e.g. `--cpu-prof` while investigating). */
  readonly nodeArgs?: readonly string[];
  /** How long to wait for `GET /health` to answer 200; default 60 s. */
  readonly readyTimeoutMs?: number;
}

/**
 * Starts `node bin/flux-auth.js start` with a fresh SQLite database in a temporary directory,
 * silent logs, the in-process detection store (no Redis, default policy; FLUX_AUTH_DETECTION=off
 * is set for a server that learns that switch) and waits until `GET /health` answers 200.
 * Tuning variables in the bench's environment (UV_THREADPOOL_SIZE, HASH_MAX_*) pass through.
 */
export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'flux-auth-bench-'));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Settings that would make runs differ by who runs them (Redis, a policy file, proxies).
  for (const name of [
    'REDIS_URL',
    'REDIS_CLUSTER',
    'FLUX_AUTH_POLICY',
    'TRUST_PROXY',
    'JWT_PRIVATE_KEY_FILE',
  ]) {
    delete env[name];
  }
  Object.assign(env, {
    NODE_ENV: 'test',
    JWT_SECRET: randomBytes(48).toString('base64url'),
    DATABASE_URL: `sqlite:${join(dataDir, 'bench.db')}`,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    DATA_DIR: dataDir,
    FLUX_AUTH_DETECTION: 'off',
    // Benches run servers side by side: none takes the default metrics port.
    METRICS_PORT: 'off',
    ...options.env,
  });
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), join(REPO_ROOT, 'bin', 'flux-auth.js'), 'start'],
    {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let stopping = false;
  let exitNote: string | null = null;
  const exited = new Promise<number | null>((done) =>
    child.once('exit', (code, signal) => {
      if (!stopping) {
        exitNote = `server exited early (${signal ?? `code ${code}`}); last output: ${output.trim().slice(-500) || '(none)'}`;
      }
      done(code);
    }),
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = async () => {
    stopping = true;
    await stopChild(child, exited);
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    await waitForHealth(baseUrl, exited, options.readyTimeoutMs ?? 60_000);
  } catch (error) {
    await stop();
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`flux-auth did not start: ${reason}\n--- server output ---\n${output}`);
  }
  return { baseUrl, pid: child.pid ?? -1, earlyExit: () => exitNote, stop };
}

async function waitForHealth(
  baseUrl: string,
  exited: Promise<number | null>,
  timeoutMs: number,
): Promise<void> {
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`the server exited with code ${exitCode}`);
    try {
      const res = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`GET /health did not answer 200 within ${timeoutMs} ms`);
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
