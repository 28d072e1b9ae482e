import { Agent, request } from 'node:http';
import type { SourceAddressPool } from './net.ts';

/** One answer: status, wall time in ms (request start to last body byte), body text. */
export interface HttpAnswer {
  readonly status: number;
  readonly ms: number;
  readonly body: string;
}

/** Options for {@link LoopbackClient}. */
export interface LoopbackClientOptions {
  /** Where source addresses come from. */
  readonly pool: SourceAddressPool;
  /** Requests sent from one source address before moving to the next; default 40 (< 50/min). */
  readonly requestsPerAddress?: number;
}

/**
 * A sequential HTTP/1.1 client over one keep-alive connection, bound to a loopback source
 * address that changes every `requestsPerAddress` requests (see SourceAddressPool). Send one
 * request at a time: it is one virtual user.
 */
export class LoopbackClient {
  readonly #baseUrl: URL;
  readonly #pool: SourceAddressPool;
  readonly #requestsPerAddress: number;
  #agent: Agent | null = null;
  #sentOnAgent = 0;

  constructor(baseUrl: string, options: LoopbackClientOptions) {
    this.#baseUrl = new URL(baseUrl);
    this.#pool = options.pool;
    this.#requestsPerAddress = options.requestsPerAddress ?? 40;
  }

  /** Sends one request; JSON-encodes `body` when given. Rejects only on transport errors. */
  send(method: 'GET' | 'POST', path: string, body?: unknown): Promise<HttpAnswer> {
    const agent = this.#currentAgent();
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string | number> = { 'user-agent': 'flux-auth-bench' };
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(payload);
    }
    const start = performance.now();
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.#baseUrl.hostname,
          port: this.#baseUrl.port,
          method,
          path,
          agent,
          headers,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              ms: performance.now() - start,
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Closes the connection. */
  close(): void {
    this.#agent?.destroy();
    this.#agent = null;
  }

  #currentAgent(): Agent {
    if (this.#agent === null || this.#sentOnAgent >= this.#requestsPerAddress) {
      this.#agent?.destroy();
      this.#agent = new Agent({ keepAlive: true, maxSockets: 1, localAddress: this.#pool.next() });
      this.#sentOnAgent = 0;
    }
    this.#sentOnAgent++;
    return this.#agent;
  }
}
