import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { expect, it } from 'vitest';
import { readJson } from '../helpers/json.ts';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

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

// Startup loads the password-strength dictionaries (about a second of CPU) before listening:
// allow for it on a busy machine; the test is about shutdown, not startup speed.
async function waitForHealth(url: string): Promise<void> {
  for (let i = 0; i < 600; i += 1) {
    try {
      if ((await fetch(`${url}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('server did not become healthy');
}

it('on SIGTERM finishes in-flight logins, flushes the audit log and exits 0', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'flux-shutdown-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(process.execPath, ['bin/flux-auth.js', 'start'], {
    // One hash at a time keeps the logins in flight long enough to be mid-request at SIGTERM.
    env: {
      PATH: process.env.PATH ?? '',
      DATA_DIR: dataDir,
      PORT: String(port),
      LOG_LEVEL: 'info',
      HASH_MAX_IN_FLIGHT: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The server logs each request as it arrives: that tells when all logins are in flight.
  let receivedLogins = 0;
  let partial = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    receivedLogins += lines.filter((line) => line.includes('"url":"/api/auth/login"')).length;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    await waitForHealth(url);
    const post = (path: string, body: unknown) =>
      fetch(`${url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const account = { email: 'drain@example.com', password: 'drain passphrase 1' };
    const session = await readJson(await post('/api/auth/signup', { ...account, name: 'D' }));
    await post('/api/auth/refresh', { refreshToken: session.refreshToken });
    // Reuse of the rotated token writes an audit event that is still buffered at SIGTERM.
    expect((await post('/api/auth/refresh', { refreshToken: session.refreshToken })).status).toBe(
      401,
    );

    // One connection per login (no keep-alive pool), all sent before the signal.
    // Each login from its own loopback address keeps per-IP limits out of the way.
    const logins = Array.from({ length: 16 }, (_, i) =>
      postOnOwnConnection(`${url}/api/auth/login`, account, `127.0.0.${i + 2}`),
    );
    while (receivedLogins < 16) await new Promise((resolve) => setTimeout(resolve, 5));
    child.kill('SIGTERM');
    expect(await Promise.all(logins)).toEqual(Array(16).fill(200));
    expect(await exited).toBe(0);

    const db = new SQLite(join(dataDir, 'flux-auth.db'), { readonly: true });
    const row = db
      .prepare("select count(*) as n from security_events where type = 'refresh_token_reuse'")
      .get() as {
      n: number;
    };
    db.close();
    expect(row.n).toBe(1);
  } finally {
    child.kill('SIGKILL');
  }
}, 90_000);
