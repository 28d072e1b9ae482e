import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { readJson } from '../helpers/json.ts';
import { captureOutput, freePort, waitForExit, waitForHealth } from '../helpers/server-process.ts';

function postOnOwnConnection(url: string, body: unknown, localAddress: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      agent: false,
      localAddress,
      headers: { 'content-type': 'application/json' },
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/** The three documented ways to start the server, as the operator types them. */
const START_WAYS: ReadonlyArray<{ readonly name: string; readonly argv: readonly string[] }> = [
  { name: 'node bin/flux-auth.js start', argv: [process.execPath, 'bin/flux-auth.js', 'start'] },
  { name: 'npm start', argv: ['npm', 'start'] },
  { name: 'npx flux-auth start', argv: ['npx', 'flux-auth', 'start'] },
];

interface Case {
  readonly way: (typeof START_WAYS)[number];
  readonly signal: 'SIGTERM' | 'SIGINT';
}

const CASES: readonly Case[] = [
  ...START_WAYS.map((way) => ({ way, signal: 'SIGTERM' as const })),
  { way: { name: 'npm start', argv: ['npm', 'start'] }, signal: 'SIGINT' },
];

// Starting through npm adds npm's own start-up to the server's on a busy machine.
describe('graceful shutdown', { timeout: 360_000 }, () => {
  it.each(CASES)(
    '$way.name: $signal finishes in-flight logins, flushes the audit log, leaves no process',
    async ({ way, signal }) => {
      const dataDir = mkdtempSync(join(tmpdir(), 'flux-shutdown-'));
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const [command = '', ...args] = way.argv;
      const child: ChildProcess = spawn(command, args, {
        // One hash at a time keeps the logins in flight long enough to be mid-request at the signal.
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? tmpdir(),
          DATA_DIR: dataDir,
          PORT: String(port),
          METRICS_PORT: 'off',
          LOG_LEVEL: 'info',
          HASH_MAX_IN_FLIGHT: '1',
          // The drain is what is tested, not its speed: 16 serial hashes on a busy machine can
          // outlast the 10 s default, and the forced exit would then cut them off.
          SHUTDOWN_TIMEOUT_MS: '300000',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const output = captureOutput(child);
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
        (resolve) => child.on('exit', (code, exitSignal) => resolve({ code, signal: exitSignal })),
      );
      // The server logs each request as it arrives: that tells when all logins are in flight.
      const receivedLogins = () => output.text().split('"url":"/api/auth/login"').length - 1;
      let serverPid = 0;
      try {
        await waitForHealth(url);
        // The log line travels a pipe (through npm or npx): it may arrive after /health answers.
        const listeningPid = () =>
          Number(/"pid":(\d+)[^\n]*flux-auth listening/.exec(output.text())?.[1] ?? 0);
        await expect.poll(listeningPid, { timeout: 30_000 }).toBeGreaterThan(0);
        serverPid = listeningPid();
        const post = (path: string, body: unknown) =>
          fetch(`${url}${path}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
          });
        const account = { email: 'drain@example.com', password: 'drain passphrase 1' };
        const session = await readJson(await post('/api/auth/signup', { ...account, name: 'D' }));
        await post('/api/auth/refresh', { refreshToken: session.refreshToken });
        // Reuse of the rotated token writes an audit event that is still buffered at the signal.
        expect(
          (await post('/api/auth/refresh', { refreshToken: session.refreshToken })).status,
        ).toBe(401);

        // One connection per login (no keep-alive pool), all sent before the signal.
        // Each login from its own loopback address keeps per-IP limits out of the way.
        const logins = Array.from({ length: 16 }, (_, i) =>
          postOnOwnConnection(`${url}/api/auth/login`, account, `127.0.0.${i + 2}`),
        );
        while (receivedLogins() < 16) await new Promise((resolve) => setTimeout(resolve, 5));
        child.kill(signal);
        expect(await Promise.all(logins)).toEqual(Array(16).fill(200));
        const exit = await exited;
        // npm and node exit 0. npx runs the bin under `sh -c`, which dies of the signal without
        // passing it on, and npm then ends itself with that signal; the server sees its parent
        // gone and shuts down on its own (checked below through its log and its pid).
        if (way.name.startsWith('npx')) expect([0, null]).toContain(exit.code);
        else expect(exit).toEqual({ code: 0, signal: null });
        expect(await waitForExit(serverPid)).toBe(true);
        await output.closed;
        expect(output.text()).toContain('shutdown complete');

        const db = new SQLite(join(dataDir, 'flux-auth.db'), { readonly: true });
        const row = db
          .prepare("select count(*) as n from security_events where type = 'refresh_token_reuse'")
          .get() as { n: number };
        // Every in-flight login's outcome was still buffered at the signal: none is lost.
        const outcomes = db
          .prepare("select count(*) as n from login_outcomes where outcome = 'success'")
          .get() as { n: number };
        db.close();
        expect(row.n).toBe(1);
        expect(outcomes.n).toBe(16);
      } finally {
        child.kill('SIGKILL');
        if (serverPid > 0) {
          try {
            process.kill(serverPid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }
    },
  );
});
