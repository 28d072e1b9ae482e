import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './attack-redis-server.ts';
import { sleep } from './attack-stores.ts';

/** The nginx binary: Debian's package puts it in /usr/sbin, which may not be on PATH. */
export function nginxBinary(): string | null {
  for (const candidate of ['nginx', '/usr/sbin/nginx']) {
    if (spawnSync(candidate, ['-v']).status === 0) return candidate;
  }
  return null;
}

/**
 * The reverse-proxy config most deployments use: round robin over `upstreams`, the client
 * appended to X-Forwarded-For (`$proxy_add_x_forwarded_for`, so whatever the client sent stays
 * left of the real address), X-Forwarded-Proto and a request id. Every path under `prefix`.
 */
export function nginxConfig(prefix: string, port: number, upstreams: readonly string[]): string {
  const servers = upstreams.map((u) => `    server ${new URL(u).host};`).join('\n');
  return `worker_processes 1;
${process.getuid?.() === 0 ? 'user root;' : ''}
pid ${join(prefix, 'nginx.pid')};
error_log ${join(prefix, 'error.log')} warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${join(prefix, 'tmp', 'body')};
  proxy_temp_path ${join(prefix, 'tmp', 'proxy')};
  fastcgi_temp_path ${join(prefix, 'tmp', 'fastcgi')};
  uwsgi_temp_path ${join(prefix, 'tmp', 'uwsgi')};
  scgi_temp_path ${join(prefix, 'tmp', 'scgi')};
  upstream flux_auth {
${servers}
    keepalive 16;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://flux_auth;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Request-Id $request_id;
    }
  }
}
`;
}

/**
 * nginx as the test's own process (never the system service): its own config, prefix, pid,
 * logs and temp paths in a temp directory, on a free port, `daemon off`. `stop` ends it and
 * removes the directory.
 */
export class NginxProcess {
  readonly port: number;
  readonly #child: ChildProcess;
  readonly #prefix: string;
  readonly #exited: Promise<void>;

  private constructor(port: number, child: ChildProcess, prefix: string) {
    this.port = port;
    this.#child = child;
    this.#prefix = prefix;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /** Starts nginx in front of `upstreams` (base URLs) and resolves once its port accepts. */
  static async start(upstreams: readonly string[], timeoutMs = 10_000): Promise<NginxProcess> {
    const binary = nginxBinary();
    if (binary === null) throw new Error('nginx not installed (apt-get install -y nginx)');
    const prefix = mkdtempSync(join(tmpdir(), 'flux-nginx-'));
    for (const dir of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) {
      mkdirSync(join(prefix, 'tmp', dir), { recursive: true });
    }
    const port = await freePort();
    const conf = join(prefix, 'nginx.conf');
    writeFileSync(conf, nginxConfig(prefix, port, upstreams));
    const child = spawn(
      binary,
      ['-e', join(prefix, 'error.log'), '-c', conf, '-p', prefix, '-g', 'daemon off;'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const nginx = new NginxProcess(port, child, prefix);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) {
        rmSync(prefix, { recursive: true, force: true });
        throw new Error(`nginx exited (${child.exitCode}): ${stderr}`);
      }
      if (await nginx.#answers()) return nginx;
      await sleep(50);
    }
    await nginx.stop();
    throw new Error(`nginx on ${port} did not answer within ${timeoutMs} ms: ${stderr}`);
  }

  /** `http://127.0.0.1:<port>`. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** nginx's error log so far (for a failing test's message). */
  errorLog(): string {
    try {
      return readFileSync(join(this.#prefix, 'error.log'), 'utf8');
    } catch {
      return '';
    }
  }

  /** SIGQUIT (graceful), SIGKILL after 5 s; removes its directory. */
  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      this.#child.kill('SIGQUIT');
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5000);
      await this.#exited;
      clearTimeout(timer);
    }
    rmSync(this.#prefix, { recursive: true, force: true });
  }

  async #answers(): Promise<boolean> {
    try {
      const res = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(2000) });
      await res.body?.cancel();
      return res.status > 0;
    } catch {
      return false;
    }
  }
}
