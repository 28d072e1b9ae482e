import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './attack-redis-server.ts';
import { sleep } from './attack-stores.ts';
import { TEST_JWT_SECRET } from './test-service.ts';

const BIN = join(process.cwd(), 'bin', 'flux-auth.js');
/** Output lines kept per process, for a failing test's message. */
const KEPT_LINES = 200;

/** What a `flux-auth start` child process is started with (on top of the test defaults). */
export interface ServerProcessOptions {
  /** `DATABASE_URL` every process of a fleet shares (PostgreSQL schema or SQLite file). */
  readonly databaseUrl: string;
  /** `REDIS_URL`; unset runs the in-process store. */
  readonly redisUrl?: string;
  /** More environment variables (e.g. `REDIS_TIMEOUT_MS`, `TRUST_PROXY`). */
  readonly env?: Record<string, string>;
  /** Serve Prometheus metrics on a free port of each process (`metricsUrl`); off by default. */
  readonly metrics?: boolean;
}

/**
 * One `node bin/flux-auth.js start` child process on a free port, as an operator runs it:
 * its own event loop, config from the environment, `NODE_ENV=test`, warn-level logs kept
 * (the last lines) for diagnostics. `stop` sends SIGTERM (graceful: flushes the audit log).
 */
export class ServerProcess {
  readonly port: number;
  /** `http://127.0.0.1:<METRICS_PORT>` when started with `metrics`, else null. */
  readonly metricsUrl: string | null;
  readonly #child: ChildProcess;
  readonly #dataDir: string;
  readonly #lines: string[] = [];
  readonly #exited: Promise<number | null>;

  private constructor(
    port: number,
    metricsPort: number | null,
    child: ChildProcess,
    dataDir: string,
  ) {
    this.port = port;
    this.metricsUrl = metricsPort === null ? null : `http://127.0.0.1:${metricsPort}`;
    this.#child = child;
    this.#dataDir = dataDir;
    this.#exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line === '') continue;
        this.#lines.push(line);
        if (this.#lines.length > KEPT_LINES) this.#lines.shift();
      }
    };
    // Always drained: a full pipe would block the child's logging, then its event loop.
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  /** Starts a process and resolves once `GET /health` answers 200 (rejects after `timeoutMs`). */
  static async start(options: ServerProcessOptions, timeoutMs = 60_000): Promise<ServerProcess> {
    const port = await freePort();
    const metricsPort = options.metrics === true ? await freePort() : null;
    const dataDir = mkdtempSync(join(tmpdir(), 'flux-server-'));
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      METRICS_PORT: metricsPort === null ? 'off' : String(metricsPort),
      METRICS_HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      DATA_DIR: dataDir,
      JWT_SECRET: TEST_JWT_SECRET,
      DATABASE_URL: options.databaseUrl,
      ...(options.redisUrl === undefined ? {} : { REDIS_URL: options.redisUrl }),
      ...options.env,
    };
    const child = spawn(process.execPath, [BIN, 'start'], { cwd: dataDir, env });
    const server = new ServerProcess(port, metricsPort, child, dataDir);
    try {
      await server.#waitForHealth(timeoutMs);
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  /** `http://127.0.0.1:<port>`. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Its `DATA_DIR` (also its working directory), e.g. to run `doctor` against it. */
  get dataDir(): string {
    return this.#dataDir;
  }

  /** The process id (for /proc sampling). */
  get pid(): number {
    return this.#child.pid ?? 0;
  }

  /** True until the process has exited. */
  get isRunning(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** The last lines the process wrote (stdout and stderr), for a failing test's message. */
  output(): string {
    return this.#lines.join('\n');
  }

  /** The kept lines logged at error level or worse (pino level >= 50), e.g. a 500's cause. */
  errors(): string[] {
    return this.#lines.filter((line) => /"level":(5|6)\d/.test(line));
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code once it is gone. */
  async stop(graceMs = 15_000): Promise<number | null> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      this.#child.kill('SIGTERM');
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), graceMs);
      try {
        await this.#exited;
      } finally {
        clearTimeout(timer);
      }
    }
    rmSync(this.#dataDir, { recursive: true, force: true });
    return this.#child.exitCode;
  }

  async #waitForHealth(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.#child.exitCode !== null) {
        throw new Error(`flux-auth exited (${this.#child.exitCode}):\n${this.output()}`);
      }
      if ((await healthStatus(this.url)) === 200) return;
      await sleep(100);
    }
    throw new Error(
      `flux-auth on ${this.port} not healthy after ${timeoutMs} ms:\n${this.output()}`,
    );
  }
}

/** Status of `GET <url>/health`, or 0 when nothing answers. */
function healthStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = get(`${url}/health`, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.setTimeout(2000, () => req.destroy());
  });
}

/** Starts `count` processes sharing one database and Redis (one after another, so each migrates alone). */
export async function startServerProcesses(
  count: number,
  options: ServerProcessOptions,
): Promise<ServerProcess[]> {
  const servers: ServerProcess[] = [];
  try {
    for (let i = 0; i < count; i += 1) servers.push(await ServerProcess.start(options));
  } catch (error) {
    await stopServerProcesses(servers);
    throw error;
  }
  return servers;
}

/** Stops every process (in parallel); resolves with their exit codes. */
export function stopServerProcesses(servers: readonly ServerProcess[]): Promise<(number | null)[]> {
  return Promise.all(servers.map((server) => server.stop()));
}
