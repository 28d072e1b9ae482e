import { Agent, request } from 'node:http';

/** One answer: status, wall time (ms) and parsed JSON body (null when not JSON). */
export interface Answer {
  readonly status: number;
  readonly ms: number;
  // biome-ignore lint/suspicious/noExplicitAny: bench bodies are read loosely (tokens)
  readonly body: any;
}

/**
 * A client bound to one loopback source address (each 127.x.y.z is a distinct client IP to a
 * server on 127.0.0.1), keep-alive, `maxSockets` parallel connections.
 */
export class BoundClient {
  readonly #agent: Agent;
  readonly #base: URL;

  constructor(baseUrl: string, localAddress: string, maxSockets = 1) {
    this.#base = new URL(baseUrl);
    this.#agent = new Agent({ keepAlive: true, localAddress, maxSockets });
  }

  /** POSTs JSON; resolves with the answer, rejects on transport errors. */
  post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const payload = JSON.stringify(body);
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.#base.hostname,
          port: this.#base.port,
          method: 'POST',
          path,
          agent: this.#agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(payload),
            'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) origin-stack-bench',
            ...headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = null;
            try {
              parsed = JSON.parse(text);
            } catch {
              // not JSON
            }
            resolve({ status: res.statusCode ?? 0, ms: performance.now() - started, body: parsed });
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Closes the connections. */
  close(): void {
    this.#agent.destroy();
  }
}

/** Hands out fresh loopback addresses `127.<block>.y.z`; never the same one twice per run. */
export class Addresses {
  readonly #block: number;
  #next = 0;

  constructor(block: number) {
    this.#block = block;
  }

  /** The next unused address. */
  next(): string {
    const index = this.#next++;
    return `127.${this.#block}.${Math.floor(index / 250) % 256}.${(index % 250) + 2}`;
  }
}
