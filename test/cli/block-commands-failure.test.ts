import { mkdtempSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';

/** Command names of the complete RESP arrays in `buffer`, and the unparsed rest. */
function parseCommands(buffer: string): { names: string[]; rest: string } {
  const names: string[] = [];
  let at = 0;
  for (;;) {
    const match = /^\*(\d+)\r\n/.exec(buffer.slice(at));
    if (match === null) break;
    let cursor = at + match[0].length;
    const args: string[] = [];
    for (let i = 0; i < Number(match[1]); i += 1) {
      const bulk = /^\$(\d+)\r\n/.exec(buffer.slice(cursor));
      if (bulk === null) return { names, rest: buffer.slice(at) };
      const start = cursor + bulk[0].length;
      if (buffer.length < start + Number(bulk[1]) + 2) return { names, rest: buffer.slice(at) };
      args.push(buffer.slice(start, start + Number(bulk[1])));
      cursor = start + Number(bulk[1]) + 2;
    }
    names.push((args[0] ?? '').toLowerCase());
    at = cursor;
  }
  return { names, rest: buffer.slice(at) };
}

/** A "Redis" that passes the connection handshake, then drops the connection on any command. */
function hiccupRedis(): Promise<{ server: Server; url: string; commands: string[] }> {
  const commands: string[] = [];
  const server = createServer((socket: Socket) => {
    let buffer = '';
    socket.on('data', (chunk) => {
      const parsed = parseCommands(buffer + chunk.toString('latin1'));
      buffer = parsed.rest;
      for (const name of parsed.names) {
        commands.push(name);
        if (name === 'info') {
          const info = '# Server\r\nredis_version:7.2.0\r\nloading:0\r\n';
          socket.write(`$${info.length}\r\n${info}\r\n`);
        } else if (name === 'client' || name === 'select') {
          socket.write('+OK\r\n');
        } else {
          socket.destroy();
          return;
        }
      }
    });
    socket.on('error', () => {});
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      resolve({ server, url: `redis://127.0.0.1:${port}`, commands });
    });
  });
}

const run = runCli;

const servers: Server[] = [];
afterAll(() => {
  for (const server of servers) server.close();
});

describe('CLI block commands when Redis fails after connecting', () => {
  it.each([
    [['block', '192.0.2.77', '--minutes', '5'], /block failed/],
    [['unblock', '192.0.2.77'], /unblock failed/],
    [['blocks'], /blocks failed/],
  ])('%j reports the error and exits 1 (no in-memory fallback)', async (args, message) => {
    const fake = await hiccupRedis();
    servers.push(fake.server);
    const env = { REDIS_URL: fake.url, DATA_DIR: mkdtempSync(join(tmpdir(), 'flux-blk-')) };
    const result = await run(args, env);
    expect(fake.commands).toContain('info'); // it did connect first
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
    expect(result.code).toBe(1);
  });
});
