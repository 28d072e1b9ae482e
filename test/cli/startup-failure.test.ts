import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, runCli } from '../helpers/cli.ts';
import { POSTGRES_TEST_URL } from '../helpers/databases.ts';

// Each case starts the real CLI with one thing wrong and checks the one line and the exit code
// a process manager acts on: 78 = do not restart, the operator must fix; 69 = retry later.

function listenOnFreePort(): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => resolve(server));
  });
}

function portOf(server: Server): number {
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

function withDatabase(databaseUrl: string, extra: Record<string, string> = {}): Promise<CliResult> {
  return runCli(['start'], {
    DATA_DIR: mkdtempSync(join(tmpdir(), 'flux-fail-')),
    DATABASE_URL: databaseUrl,
    PORT: '0',
    METRICS_PORT: 'off',
    ...extra,
  });
}

function expectOneLine(result: CliResult, code: number, pattern: RegExp): string {
  expect(result.code).toBe(code);
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  const [line = ''] = lines;
  expect(line).toMatch(pattern);
  expect(line).toContain('flux-auth doctor');
  expect(result.stderr).not.toMatch(/\n\s+at /);
  return line;
}

function postgresUrl(change: (url: URL) => void): string {
  const url = new URL(POSTGRES_TEST_URL);
  change(url);
  return url.toString();
}

// Each case boots the CLI through tsx; on a busy machine that alone can take seconds.
describe('flux-auth start that cannot start', { timeout: 90_000 }, () => {
  let occupied: Server;
  let closedPort: number;
  beforeAll(async () => {
    occupied = await listenOnFreePort();
    const released = await listenOnFreePort();
    closedPort = portOf(released);
    await new Promise((resolve) => released.close(resolve));
  });
  afterAll(() => new Promise((resolve) => occupied.close(resolve)));

  it('names DATABASE_URL (password masked) when the role does not exist: exit 78', async () => {
    const url = postgresUrl((u) => {
      u.username = 'flux_no_such_role';
      u.password = 'hunter2-secret';
    });
    const line = expectOneLine(
      await withDatabase(url),
      78,
      /^flux-auth: configuration error: DATABASE_URL \(postgres:\/\/flux_no_such_role:\*\*\*@.*role "flux_no_such_role".*Create the role or correct the user and password/,
    );
    expect(line).not.toContain('hunter2-secret');
  });

  it('says which database is missing and how to create it: exit 78', async () => {
    const url = postgresUrl((u) => {
      u.pathname = '/flux_no_such_database';
    });
    expectOneLine(
      await withDatabase(url),
      78,
      /^flux-auth: configuration error: DATABASE_URL .*database "flux_no_such_database" does not exist.*createdb/,
    );
  });

  it('treats a refused connection as may-come-back: exit 69', async () => {
    expectOneLine(
      await withDatabase(`postgres://flux:pw@127.0.0.1:${closedPort}/flux`),
      69,
      new RegExp(
        `^flux-auth: unavailable: DATABASE_URL \\(postgres://flux:\\*\\*\\*@127\\.0\\.0\\.1:${closedPort}/flux\\): cannot connect to 127\\.0\\.0\\.1:${closedPort} \\(ECONNREFUSED\\)\\. Start PostgreSQL`,
      ),
    );
  });

  it('names an unknown database host: exit 69', async () => {
    expectOneLine(
      await withDatabase('postgres://flux:pw@flux-db.invalid:5432/flux'),
      69,
      /^flux-auth: unavailable: DATABASE_URL .*host "flux-db\.invalid" is not known.*Correct the host in DATABASE_URL/,
    );
  });

  it('names PORT when the port is in use: exit 69', async () => {
    const result = await runCli(['start'], {
      DATA_DIR: mkdtempSync(join(tmpdir(), 'flux-fail-')),
      HOST: '127.0.0.1',
      PORT: String(portOf(occupied)),
    });
    expectOneLine(
      result,
      69,
      new RegExp(
        `^flux-auth: unavailable: PORT \\(${portOf(occupied)}\\): 127\\.0\\.0\\.1:${portOf(occupied)} is already in use.*set PORT to a free port`,
      ),
    );
  });

  it('refuses a SQLite path that cannot be created: exit 78', async () => {
    expectOneLine(
      await withDatabase('sqlite:/etc/hostname/x.db'),
      78,
      /^flux-auth: configuration error: DATABASE_URL \(sqlite:\/etc\/hostname\/x\.db\): cannot create or open the SQLite file \/etc\/hostname\/x\.db \(E[A-Z]+\)\. Use a path in a writable directory/,
    );
  });
});
