import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './server.ts';

/** No route of a bench server answers this path (404); as long as `/api/auth/login`. */
export const UNROUTED_PATH = '/api/auth/l0gin';

/** Which detector sits in front of the auth routes of a bench server. */
export type DetectorVariant = 'none' | 'memory' | 'redis';

/** A detector-http bench server (bench/lib/detector-http-server.ts) in a child process. */
export interface DetectorHttpServer {
  readonly variant: DetectorVariant;
  readonly baseUrl: string;
  /** `http://127.0.0.1:<port>` of its `/metrics` listener, or null with metrics off. */
  readonly metricsUrl: string | null;
  readonly pid: number;
  stop(): Promise<void>;
}

/** Options for {@link startDetectorHttpServer}. */
export interface DetectorHttpServerOptions {
  readonly redisUrl?: string;
  readonly redisKeyPrefix?: string;
  /** Extra Node flags for the server process (e.g. `--cpu-prof` while investigating). */
  readonly nodeArgs?: readonly string[];
  /** Prometheus metrics on (hook, observers, a listener on a free port); off by default. */
  readonly metrics?: boolean;
}

/**
 * Forks the bench server with a fresh SQLite database in a temporary directory and silent
 * logs; resolves once it listens. The thread pool is sized as bin/flux-auth.js sizes it.
 */
export async function startDetectorHttpServer(
  variant: DetectorVariant,
  options: DetectorHttpServerOptions = {},
): Promise<DetectorHttpServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'flux-auth-bench-dh-'));
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['REDIS_URL', 'REDIS_CLUSTER', 'FLUX_AUTH_POLICY', 'TRUST_PROXY']) {
    delete env[name];
  }
  Object.assign(env, {
    NODE_ENV: 'test',
    JWT_SECRET: randomBytes(48).toString('base64url'),
    DATABASE_URL: `sqlite:${join(dataDir, 'bench.db')}`,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    DATA_DIR: dataDir,
    UV_THREADPOOL_SIZE:
      process.env.UV_THREADPOOL_SIZE ?? String(Math.max(4, availableParallelism() + 3)),
    BENCH_DETECTOR: variant,
    METRICS_PORT: options.metrics === true ? '0' : 'off',
    ...(variant === 'redis' && options.redisUrl ? { REDIS_URL: options.redisUrl } : {}),
    ...(options.redisKeyPrefix ? { BENCH_REDIS_PREFIX: options.redisKeyPrefix } : {}),
  });
  const child: ChildProcess = fork(join(import.meta.dirname, 'detector-http-server.ts'), [], {
    cwd: REPO_ROOT,
    env,
    execArgv: [...(options.nodeArgs ?? []), '--import', 'tsx'],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const { port, metricsPort } = await new Promise<{ port: number; metricsPort?: number }>(
      (resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('did not listen within 60 s')), 60_000);
        child.once('message', (message: { port?: number; metricsPort?: number }) => {
          clearTimeout(timer);
          if (typeof message.port === 'number')
            resolve({ port: message.port, metricsPort: message.metricsPort });
          else reject(new Error('unexpected message'));
        });
        void exited.then(() => {
          clearTimeout(timer);
          reject(new Error(`exited (${child.signalCode ?? child.exitCode})`));
        });
      },
    );
    const metricsUrl = metricsPort === undefined ? null : `http://127.0.0.1:${metricsPort}`;
    return { variant, baseUrl: `http://127.0.0.1:${port}`, metricsUrl, pid: child.pid ?? -1, stop };
  } catch (error) {
    await stop();
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`detector-http server (${variant}) did not start: ${reason}\n${output}`);
  }
}
