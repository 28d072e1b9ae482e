import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresTestDatabase, type TestDatabase } from '../helpers/databases.ts';
import { startFakeSentry } from '../helpers/fake-sentry.ts';
import {
  captureOutput,
  freePort,
  isAlive,
  waitForExit,
  waitForHealth,
} from '../helpers/server-process.ts';

const run = promisify(execFile);
const REPO = process.cwd();
const PM2 = join(REPO, 'node_modules', 'pm2', 'bin', 'pm2');
const SECRET = 'p'.repeat(48);
/** Packages that must never be loaded in production: the TypeScript tooling. */
const TYPESCRIPT_TOOLING = ['tsx', 'typescript', 'esbuild', 'get-tsconfig'];

interface LockFile {
  readonly packages: Record<string, { readonly dev?: boolean; readonly devOptional?: boolean }>;
}

/**
 * What `npm ci && npm run build && npm prune --omit=dev` leaves, without the network: the build
 * output, bin/, deploy/ and a node_modules holding only the production packages of the lock file
 * (links into ours). With --preserve-symlinks nothing can reach a development package.
 */
function makeProductionCheckout(): string {
  const dir = mkdtempSync(join(tmpdir(), 'flux-prod-checkout-'));
  for (const entry of ['package.json', 'bin', 'deploy', 'dist']) {
    cpSync(join(REPO, entry), join(dir, entry), { recursive: true });
  }
  const lock = JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8')) as LockFile;
  for (const [path, meta] of Object.entries(lock.packages)) {
    const name = path.slice('node_modules/'.length);
    const isTopLevel = path.startsWith('node_modules/') && !name.includes('node_modules/');
    if (!isTopLevel || meta.dev || meta.devOptional) continue;
    const target = join(dir, 'node_modules', name);
    mkdirSync(dirname(target), { recursive: true });
    try {
      symlinkSync(join(REPO, 'node_modules', name), target);
    } catch {
      // optional package not installed on this platform
    }
  }
  return dir;
}

function childrenOf(pid: number): string[] {
  const names: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === pid)
        names.push(stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')));
    } catch {
      // exited meanwhile
    }
  }
  return names;
}

function loginFrom(url: string, ip: string, email: string): Promise<number> {
  return new Promise((resolve, reject) => {
    // A new connection per request: PM2's cluster hands connections to instances in turn.
    const req = request(`${url}/api/auth/login`, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(JSON.stringify({ email, password: 'wrong password 123' }));
  });
}

let checkout = '';

// One build for every test here: compiling on a busy machine takes tens of seconds.
beforeAll(async () => {
  await run('npm', ['run', 'build'], { cwd: REPO });
  checkout = makeProductionCheckout();
}, 300_000);
afterAll(() => {
  if (checkout) rmSync(checkout, { recursive: true, force: true });
});

describe('production build', { timeout: 120_000 }, () => {
  it('runs dist/ through bin/flux-auth.js with no TypeScript tooling installed or loaded', async () => {
    const env = {
      PATH: process.env.PATH ?? '',
      NODE_OPTIONS: '--preserve-symlinks',
      NODE_ENV: 'production',
      JWT_SECRET: SECRET,
      DATABASE_URL: `sqlite:${join(checkout, 'data', 'prod.db')}`,
      DATA_DIR: join(checkout, 'data'),
    };
    for (const name of TYPESCRIPT_TOOLING) {
      await expect(
        run(process.execPath, ['-e', `require.resolve('${name}')`], { cwd: checkout, env }),
      ).rejects.toThrow();
    }
    const version = await run(process.execPath, ['bin/flux-auth.js', '--version'], {
      cwd: checkout,
      env,
    });
    expect(version.stdout.trim()).toBe(
      (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version,
    );
    await run(process.execPath, ['bin/flux-auth.js', 'migrate'], { cwd: checkout, env });
    const port = await freePort();
    const child: ChildProcess = spawn(process.execPath, ['bin/flux-auth.js', 'start'], {
      cwd: checkout,
      env: { ...env, PORT: String(port), METRICS_PORT: 'off' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = captureOutput(child);
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      await waitForHealth(`http://127.0.0.1:${port}`);
      const pid = child.pid ?? 0;
      // tsx would run an esbuild service as a child and show in the command line.
      expect(childrenOf(pid).filter((name) => name.includes('esbuild'))).toEqual([]);
      expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).not.toMatch(/tsx/);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(output.text()).toContain('shutdown complete');
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('PM2 with deploy/ecosystem.config.cjs', { timeout: 180_000 }, () => {
  let pm2Home = '';
  let database: TestDatabase | undefined;
  const pm2 = (args: string[], env: Record<string, string> = {}) =>
    run(process.execPath, [PM2, ...args], {
      cwd: checkout,
      env: { PATH: process.env.PATH ?? '', HOME: pm2Home, PM2_HOME: pm2Home, ...env },
    });
  interface Pm2Process {
    readonly pid: number;
    readonly pm2_env: {
      readonly status: string;
      readonly exit_code?: number;
      readonly restart_time: number;
      readonly pm_out_log_path: string;
      readonly pm_err_log_path: string;
      readonly node_args?: readonly string[];
    };
  }
  const list = async (): Promise<Pm2Process[]> => {
    const { stdout } = await pm2(['jlist']);
    // PM2 may print notices before the JSON.
    return JSON.parse(stdout.slice(stdout.indexOf('['))) as Pm2Process[];
  };
  // Set once the tests are over: a `pm2 jlist` after `pm2 kill` would start a new daemon.
  let isOver = false;
  const waitFor = async (predicate: (processes: Pm2Process[]) => boolean) => {
    for (let i = 0; i < 300 && !isOver; i += 1) {
      const processes = await list();
      if (predicate(processes)) return processes;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`PM2 never reached the state: ${JSON.stringify(await list())}`);
  };

  // Online only means the process runs: each instance's log says when it listens (and what it
  // logged while starting is in the file by then).
  const waitForListening = async (processes: readonly Pm2Process[]) => {
    for (const instance of processes) {
      const log = () => readFileSync(instance.pm2_env.pm_out_log_path, 'utf8');
      await expect.poll(log, { timeout: 90_000, interval: 200 }).toContain('flux-auth listening');
    }
  };

  beforeAll(async () => {
    pm2Home = mkdtempSync(join(tmpdir(), 'flux-pm2-'));
    database = await openPostgresTestDatabase();
  }, 60_000);
  afterAll(async () => {
    isOver = true;
    const daemonPid = Number(readFileSync(join(pm2Home, 'pm2.pid'), 'utf8').trim() || 0);
    await pm2(['kill']).catch(() => {});
    if (daemonPid > 0 && isAlive(daemonPid)) process.kill(daemonPid, 'SIGKILL');
    await database?.cleanup();
    rmSync(pm2Home, { recursive: true, force: true });
  }, 60_000);

  it('runs two instances on one port that share the brute-force limit through Redis', async () => {
    const port = await freePort();
    await pm2(['start', 'deploy/ecosystem.config.cjs'], {
      NODE_ENV: 'production',
      FLUX_AUTH_INSTANCES: '2',
      PORT: String(port),
      METRICS_PORT: 'off',
      DATABASE_URL: database?.url ?? '',
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      JWT_SECRET: SECRET,
      TRUST_PROXY: '127.0.0.1',
    });
    try {
      const processes = await waitFor(
        (all) => all.filter((p) => p.pm2_env.status === 'online').length === 2,
      );
      const url = `http://127.0.0.1:${port}`;
      await waitForHealth(url);
      // PM2 says online when the process runs; the cluster hands connections only to instances
      // that listen. Both must, or a busy machine's slower one gets no login to answer.
      await waitForListening(processes);
      // This Redis is shared and outlives the test (the service's own `fa:` keys): a client and
      // an account never seen before, so no earlier run's state counts. A /64 of its own (IPv6
      // is counted per /64), since a reused address keeps its reputation for days and an
      // earlier block halves its limit; a fresh account, since account_guard throttles one
      // that failed from 5 addresses in 15 minutes.
      const ip = `2001:db8:${randomBytes(2).toString('hex')}:${randomBytes(2).toString('hex')}::1`;
      const email = `deploy-${randomBytes(8).toString('hex')}@example.com`;
      const statuses: number[] = [];
      for (let i = 0; i < 6; i += 1) statuses.push(await loginFrom(url, ip, email));
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
      // Both instances answered some of those logins: the limit held across them.
      // PM2 writes each instance's output to its file when it gets it: it may lag the answers.
      for (const instance of processes) {
        const log = () => readFileSync(instance.pm2_env.pm_out_log_path, 'utf8');
        await expect.poll(log, { timeout: 30_000 }).toContain('"url":"/api/auth/login"');
      }
      await pm2(['delete', 'all']);
      for (const instance of processes) expect(await waitForExit(instance.pid)).toBe(true);
    } finally {
      // A failed check must not leave these two running into the next tests' PM2 state.
      await pm2(['delete', 'all']).catch(() => {});
    }
  });

  // Issue 9: the deploy files start the instrument file, so Sentry is set up before the service
  // imports http, Fastify, pg and ioredis (start's own fallback would come after them).
  it('starts each instance with the Sentry instrument file first (--import), reporting to the DSN', async () => {
    const fake = await startFakeSentry();
    try {
      await pm2(['flush']);
      const port = await freePort();
      await pm2(['start', 'deploy/ecosystem.config.cjs'], {
        NODE_ENV: 'production',
        FLUX_AUTH_INSTANCES: '2',
        PORT: String(port),
        METRICS_PORT: 'off',
        DATABASE_URL: database?.url ?? '',
        JWT_SECRET: SECRET,
        SENTRY_DSN: fake.dsn,
        SENTRY_TRACES_SAMPLE_RATE: '1',
      });
      const processes = await waitFor(
        (all) => all.filter((p) => p.pm2_env.status === 'online').length === 2,
      );
      const url = `http://127.0.0.1:${port}`;
      await waitForHealth(url);
      await waitForListening(processes);
      for (const instance of processes) {
        expect(instance.pm2_env.node_args).toEqual([
          '--import',
          join(checkout, 'bin', 'instrument.js'),
        ]);
        // PM2 writes each instance's log file on its own schedule: wait (bounded) for the line.
        const readLines = () =>
          readFileSync(instance.pm2_env.pm_out_log_path, 'utf8')
            .split('\n')
            .filter((line) => line.startsWith('{'))
            .map((line) => JSON.parse(line) as { msg?: string; preloaded?: boolean });
        let lines = readLines();
        for (let i = 0; i < 100 && !lines.some((l) => l.msg === 'Sentry initialized'); i += 1) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          lines = readLines();
        }
        // Set up by the instrument file before the service was imported, not by start's fallback.
        expect(lines.find((l) => l.msg === 'Sentry initialized')).toMatchObject({
          preloaded: true,
        });
        expect(lines.filter((l) => l.msg?.startsWith('Sentry was initialised after'))).toEqual([]);
      }
      // The SDK reports to the DSN from the PM2-managed instances.
      for (let i = 0; i < 4; i += 1) await fetch(`${url}/openapi.json`);
      await fake.waitFor(
        () => fake.items('transaction').some((t) => t.transaction === 'GET /openapi.json'),
        30_000,
      );
      await pm2(['delete', 'all']);
      for (const instance of processes) expect(await waitForExit(instance.pid)).toBe(true);
    } finally {
      await pm2(['delete', 'all']).catch(() => {});
      await fake.close();
    }
  });

  it('stops (no restart loop) on a configuration error, with the one-line reason in its log', async () => {
    // PM2 reuses instance ids and their log files: start from empty logs.
    await pm2(['flush']);
    await pm2(['start', 'deploy/ecosystem.config.cjs'], {
      NODE_ENV: 'production',
      FLUX_AUTH_INSTANCES: '2',
      PORT: String(await freePort()),
      METRICS_PORT: 'off',
      DATABASE_URL: database?.url ?? '',
      JWT_SECRET: 'short',
    });
    // PM2 6 labels an app that exited with a stop code "waiting restart" when a restart delay
    // is configured (it sets that status before checking stop_exit_codes) but never restarts
    // it: no process, no restart, exit code 78.
    const isStoppedFor78 = (p: Pm2Process) =>
      p.pm2_env.exit_code === 78 && ['stopped', 'waiting restart'].includes(p.pm2_env.status);
    const processes = await waitFor((all) => all.length === 2 && all.every(isStoppedFor78));
    // Still stopped a while later, never restarted.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    for (const instance of await list()) {
      expect(isStoppedFor78(instance)).toBe(true);
      expect(instance.pid).toBe(0);
      expect(instance.pm2_env.restart_time).toBe(0);
    }
    for (const instance of processes) {
      const log = readFileSync(instance.pm2_env.pm_err_log_path, 'utf8').trim();
      expect(log).toMatch(
        /^flux-auth: configuration error: JWT_SECRET: is 5 characters; it must be at least 32\./,
      );
      expect(log.split('\n')).toHaveLength(1);
    }
    await pm2(['delete', 'all']);
  });
});
