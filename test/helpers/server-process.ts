import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Json } from './json.ts';

const BIN = join(process.cwd(), 'bin', 'flux-auth.js');

/** How a server process ended. */
export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * `flux-auth start` as a child process, so that a crash is what it is in production: the
 * process exits. Its JSON log lines are collected as they arrive.
 */
export class ServerProcess {
  readonly #child: ChildProcess;
  readonly #logs: Json[] = [];
  readonly #waiters = new Set<() => void>();
  #stderr = '';
  #exit: ProcessExit | null = null;
  readonly exited: Promise<ProcessExit>;
  /** `http://127.0.0.1:<port>` once listening. */
  url = '';

  private constructor(child: ChildProcess) {
    this.#child = child;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        this.#notify();
        resolve(this.#exit);
      });
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      this.#stderr += chunk.toString('utf8');
    });
    if (child.stdout) {
      createInterface({ input: child.stdout }).on('line', (line) => {
        this.#logs.push(parseLine(line));
        this.#notify();
      });
    }
  }

  /**
   * Spawns `flux-auth start` in a fresh temp directory with only PATH and `env` (PORT 0 unless
   * given) and resolves once it logs that it listens. Rejects with its stderr if it exits first.
   */
  static async start(env: Record<string, string>, timeoutMs = 60_000): Promise<ServerProcess> {
    const cwd = mkdtempSync(join(tmpdir(), 'flux-server-'));
    const child = spawn(process.execPath, [BIN, 'start'], {
      cwd,
      env: {
        PATH: process.env.PATH ?? '',
        HOST: '127.0.0.1',
        PORT: '0',
        METRICS_PORT: 'off',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const server = new ServerProcess(child);
    try {
      const line = await server.waitForLog((l) => l.msg === 'flux-auth listening', timeoutMs);
      server.url = String(line.address);
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
    return server;
  }

  /** Every log line so far (parsed JSON; a line that is not JSON is `{ raw }`). */
  get logs(): readonly Json[] {
    return this.#logs;
  }

  /** What the process wrote to stderr so far. */
  get stderr(): string {
    return this.#stderr;
  }

  /** Null while running, else how it ended. */
  get exit(): ProcessExit | null {
    return this.#exit;
  }

  /** Log lines matching `predicate`. */
  logsWhere(predicate: (line: Json) => boolean): Json[] {
    return this.#logs.filter(predicate);
  }

  /** Resolves with the first line matching `predicate`; rejects on timeout or exit. */
  async waitForLog(predicate: (line: Json) => boolean, timeoutMs: number): Promise<Json> {
    await this.waitFor(() => this.#logs.some(predicate), timeoutMs, 'log line');
    return this.#logs.find(predicate);
  }

  /** Resolves once `condition()` holds after a log line; rejects on timeout or exit. */
  waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (condition()) return finish();
        if (this.#exit !== null) {
          finish(
            new Error(
              `server exited (${JSON.stringify(this.#exit)}) before ${what}:\n${this.#stderr}`,
            ),
          );
        }
      };
      const timer = setTimeout(
        () => finish(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)),
        timeoutMs,
      );
      const finish = (error?: Error) => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        if (error) reject(error);
        else resolve();
      };
      this.#waiters.add(check);
      check();
    });
  }

  /** Sends `signal` and resolves with how the process ended. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<ProcessExit> {
    if (this.#exit === null) this.#child.kill(signal);
    return this.exited;
  }

  #notify(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }
}

function parseLine(line: string): Json {
  try {
    return JSON.parse(line) as Json;
  } catch {
    return { raw: line };
  }
}

import { freePort } from './attack-redis-server.ts';

/** Re-exported: one definition of a free loopback port for every helper. */
export { freePort };

/** Resolves once `GET <url>/health` answers 200; throws after about 60 s. */
export async function waitForHealth(url: string): Promise<void> {
  for (let i = 0; i < 600; i += 1) {
    try {
      if ((await fetch(`${url}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not become healthy`);
}

/** Everything a child wrote to stdout and stderr, kept as it arrives. */
export interface CapturedOutput {
  readonly text: () => string;
  /** Resolves when the stream closed: every process holding it (not only the child) is gone. */
  readonly closed: Promise<void>;
}

/** Captures a child's stdout and stderr (spawned with both piped). */
export function captureOutput(child: ChildProcess): CapturedOutput {
  let text = '';
  const append = (chunk: Buffer) => {
    text += chunk.toString();
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const closed = Promise.all(
    [child.stdout, child.stderr].map(
      (stream) =>
        new Promise<void>((resolve) => (stream ? stream.on('close', resolve) : resolve())),
    ),
  ).then(() => {});
  return { text: () => text, closed };
}

/** True while a process with this pid runs (an exited, unreaped zombie counts as gone). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // Orphans are re-parented to a PID 1 that may never reap them: state Z means exited.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Waits (up to `timeoutMs`) for a process that is not our child to be gone. */
export async function waitForExit(pid: number, timeoutMs = 30_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return !isAlive(pid);
}
