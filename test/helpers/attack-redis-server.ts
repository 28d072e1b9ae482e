import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { setPriority } from 'node:os';
import { createRedisClient, type RedisClient, waitForRedisReady } from '../../src/store/index.ts';

/** A free TCP port on 127.0.0.1 (closed again before returning). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** A throwaway redis-server child process on a fixed port (no persistence). */
export class RedisServerProcess {
  readonly port: number;
  readonly #priority: number;
  #child: ChildProcess | null = null;

  /**
   * `priority` (a nice value, default 0) is set on the server once started: a negative one
   * keeps the host's unrelated load from starving it (root only; otherwise left as is).
   */
  constructor(port: number, options: { priority?: number } = {}) {
    this.port = port;
    this.#priority = options.priority ?? 0;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts redis-server and resolves once it answers PING. */
  async start(): Promise<void> {
    if (this.#child !== null) throw new Error('redis-server already running');
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    this.#child = child;
    if (this.#priority !== 0 && child.pid !== undefined) {
      try {
        setPriority(child.pid, this.#priority);
      } catch {
        // Not permitted (not root): the default priority.
      }
    }
    const exited = new Promise<never>((_, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`redis-server exited early (${code})`)));
    });
    exited.catch(() => {});
    await Promise.race([this.#waitForPing(5000), exited]);
  }

  /** SIGSTOPs the server: connections stay open, nothing is answered (a hung Redis). */
  pause(): void {
    this.#signal('SIGSTOP');
  }

  /** SIGCONTs a paused server: it answers everything that queued meanwhile. */
  resume(): void {
    this.#signal('SIGCONT');
  }

  #signal(signal: 'SIGSTOP' | 'SIGCONT'): void {
    const child = this.#child;
    if (child === null || child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`redis-server on ${this.port} is not running (${signal})`);
    }
    child.kill(signal);
  }

  /** SIGKILLs the server (an outage, not a shutdown) and waits for the process to be gone. */
  async kill(): Promise<void> {
    const child = this.#child;
    this.#child = null;
    if (child === null || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await gone;
  }

  /** A connected client of this server; the caller disconnects it. */
  async client(): Promise<RedisClient> {
    const client = createRedisClient(this.url);
    try {
      await waitForRedisReady(client, 2000);
    } catch (error) {
      client.disconnect();
      throw error;
    }
    return client;
  }

  async #waitForPing(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown = null;
    while (Date.now() < deadline) {
      try {
        const client = await this.client();
        client.disconnect();
        return;
      } catch (error) {
        lastError = error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    throw new Error(`redis-server on ${this.port} did not answer: ${String(lastError)}`);
  }
}

/** Every key under `prefix` on `client`. */
export async function scanKeys(client: RedisClient, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys;
}
