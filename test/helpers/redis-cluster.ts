import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createRedisClient, type RedisClient, waitForRedisReady } from '../../src/store/index.ts';
import { freePort } from './attack-redis-server.ts';
import { sleep } from './attack-stores.ts';

/** One master of a test cluster: its client port, its bus port and its own directory. */
interface ClusterNode {
  readonly port: number;
  readonly busPort: number;
  readonly dir: string;
  child: ChildProcess | null;
}

/** True when `redis-server` and `redis-cli` are on PATH (a cluster can be started). */
export function hasRedisClusterTools(): boolean {
  const ok = (bin: string) => spawnSync(bin, ['--version']).status === 0;
  return ok('redis-server') && ok('redis-cli');
}

/**
 * A Redis Cluster of `size` masters (no replicas) made of the machine's `redis-server`, each on
 * a free port with its bus on another free port (`cluster-port`, so port + 10000 need not be
 * free), in a temp directory that holds its nodes.conf. `stop` kills them and removes the dirs.
 */
export class RedisClusterProcesses {
  readonly #nodes: ClusterNode[];
  readonly #root: string;

  private constructor(nodes: ClusterNode[], root: string) {
    this.#nodes = nodes;
    this.#root = root;
  }

  /** Starts the masters, joins them with `redis-cli --cluster create`, waits for `cluster_state:ok`. */
  static async start(size = 3, timeoutMs = 30_000): Promise<RedisClusterProcesses> {
    const root = mkdtempSync(join(tmpdir(), 'flux-redis-cluster-'));
    const nodes: ClusterNode[] = [];
    const cluster = new RedisClusterProcesses(nodes, root);
    try {
      for (let i = 0; i < size; i += 1) {
        const dir = join(root, String(i));
        nodes.push({ port: await freePort(), busPort: await freePort(), dir, child: null });
      }
      for (let i = 0; i < size; i += 1) await cluster.startNode(i);
      const create = spawnSync(
        'redis-cli',
        [
          '--cluster',
          'create',
          ...nodes.map((n) => `127.0.0.1:${n.port}`),
          '--cluster-replicas',
          '0',
          '--cluster-yes',
        ],
        { encoding: 'utf8', timeout: timeoutMs },
      );
      if (create.status !== 0) {
        throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
      }
      await cluster.waitForState('ok', timeoutMs);
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** The client ports of the masters, in start order. */
  get ports(): number[] {
    return this.#nodes.map((n) => n.port);
  }

  /** A `REDIS_URL` for `REDIS_CLUSTER=true`: every master as a seed. */
  get url(): string {
    return this.#nodes.map((n) => `redis://127.0.0.1:${n.port}`).join(',');
  }

  /** A connected cluster client (ioredis Cluster); the caller disconnects it. */
  async client(): Promise<RedisClient> {
    const client = createRedisClient(this.url, { cluster: true, connectTimeoutMs: 2000 });
    try {
      await waitForRedisReady(client, 10_000);
    } catch (error) {
      client.disconnect();
      throw error;
    }
    return client;
  }

  /** Runs one command on master `index` only (its own short-lived connection). */
  async onNode(index: number, ...command: [string, ...(string | number)[]]): Promise<unknown> {
    const node = this.#node(index);
    const client = new Redis({
      host: '127.0.0.1',
      port: node.port,
      lazyConnect: true,
      connectTimeout: 1000,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on('error', () => {});
    try {
      await client.connect();
      return await client.call(...command);
    } finally {
      client.disconnect();
    }
  }

  /** Keys held by each master (`DBSIZE`), in start order. */
  async keysPerNode(): Promise<number[]> {
    return Promise.all(this.#nodes.map(async (_, i) => Number(await this.onNode(i, 'DBSIZE'))));
  }

  /** Keys matching `match` held by master `index` (SCAN on that node only). */
  async scanNode(index: number, match: string): Promise<string[]> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const reply = (await this.onNode(index, 'SCAN', cursor, 'MATCH', match, 'COUNT', 1000)) as [
        string,
        string[],
      ];
      cursor = reply[0];
      keys.push(...reply[1]);
    } while (cursor !== '0');
    return keys;
  }

  /** How many of `keys` (IP state strings on master `index`) hold a block (a JSON part). */
  async blocksAmong(index: number, keys: readonly string[]): Promise<number> {
    let count = 0;
    for (const key of keys) {
      const value = String((await this.onNode(index, 'GET', key)) ?? '');
      if (value.includes('"brute_force"')) count += 1;
    }
    return count;
  }

  /** How many errors of `code` (e.g. `CROSSSLOT`) each master has answered (`INFO errorstats`). */
  async errorCounts(code: string): Promise<number[]> {
    return Promise.all(
      this.#nodes.map(async (_, i) => {
        const info = String(await this.onNode(i, 'INFO', 'errorstats'));
        const match = new RegExp(`errorstat_${code}:count=(\\d+)`).exec(info);
        return match ? Number(match[1]) : 0;
      }),
    );
  }

  /** Which master (index) serves `key`'s slot, asking the cluster itself (`CLUSTER KEYSLOT`). */
  async nodeOfKey(key: string): Promise<number> {
    const slot = Number(await this.onNode(0, 'CLUSTER', 'KEYSLOT', key));
    const ranges = (await this.onNode(0, 'CLUSTER', 'SLOTS')) as [
      number,
      number,
      [string, number],
    ][];
    const range = ranges.find(([from, to]) => slot >= from && slot <= to);
    if (range === undefined) throw new Error(`slot ${slot} is served by no master`);
    return this.#nodes.findIndex((n) => n.port === Number(range[2][1]));
  }

  /** SIGKILLs master `index` (an outage) and waits until it is gone. Its nodes.conf stays. */
  async kill(index: number): Promise<void> {
    const node = this.#node(index);
    const child = node.child;
    node.child = null;
    if (child === null || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await gone;
  }

  /** Starts master `index` again on the same ports with the same nodes.conf (it rejoins). */
  async restart(index: number): Promise<void> {
    await this.startNode(index);
  }

  /** Polls `CLUSTER INFO` on every running master until each says `cluster_state:<state>`. */
  async waitForState(state: 'ok' | 'fail', timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last: string[] = [];
    while (Date.now() < deadline) {
      last = await Promise.all(
        this.#nodes
          .map((node, i) => ({ node, i }))
          .filter(({ node }) => node.child !== null)
          .map(({ i }) =>
            this.onNode(i, 'CLUSTER', 'INFO').then(
              (info) => /cluster_state:(\w+)/.exec(String(info))?.[1] ?? '?',
              (error: unknown) => `error ${String(error)}`,
            ),
          ),
      );
      if (last.length > 0 && last.every((s) => s === state)) return;
      await sleep(100);
    }
    throw new Error(`cluster_state not ${state} after ${timeoutMs} ms: ${last.join(', ')}`);
  }

  /** Kills every master and removes their directories (nodes.conf included). */
  async stop(): Promise<void> {
    await Promise.all(this.#nodes.map((_, i) => this.kill(i)));
    rmSync(this.#root, { recursive: true, force: true });
  }

  /** Starts master `index` (cluster mode, no persistence) and waits until it answers PING. */
  async startNode(index: number): Promise<void> {
    const node = this.#node(index);
    if (node.child !== null) throw new Error(`cluster node ${node.port} already running`);
    mkdirSync(node.dir, { recursive: true });
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(node.port),
        '--cluster-port',
        String(node.busPort),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        'nodes.conf',
        // A dead master is noticed (cluster_state:fail) within a second, not the default 15 s.
        '--cluster-node-timeout',
        '1000',
        '--dir',
        node.dir,
        '--save',
        '',
        '--appendonly',
        'no',
      ],
      { stdio: 'ignore' },
    );
    node.child = child;
    const exited = new Promise<never>((_, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`redis-server ${node.port} exited (${code})`)));
    });
    exited.catch(() => {});
    await Promise.race([this.#waitForPing(index, 5000), exited]);
  }

  #node(index: number): ClusterNode {
    const node = this.#nodes[index];
    if (node === undefined) throw new Error(`no cluster node ${index}`);
    return node;
  }

  async #waitForPing(index: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown = null;
    while (Date.now() < deadline) {
      try {
        await this.onNode(index, 'PING');
        return;
      } catch (error) {
        lastError = error;
        await sleep(50);
      }
    }
    throw new Error(`cluster node ${this.#node(index).port} did not answer: ${String(lastError)}`);
  }
}
