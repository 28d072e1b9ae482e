import { Agent, type IncomingHttpHeaders, request } from 'node:http';
import type { Json } from './json.ts';

/** One HTTP answer as the attack tests look at it. */
export interface AttackResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** Parsed JSON when the body is JSON, else the raw text (or null when empty). */
  readonly body: Json;
  /** Wall time of the request in ms (diagnostics only). */
  readonly ms: number;
}

/** What one request carries besides its method and path. */
export interface AttackRequestOptions {
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

/**
 * A simulated client: every request leaves from `localAddress` (any 127.x.y.z reaches a
 * server on 127.0.0.1 on Linux), so the server sees a distinct socket address per client
 * without any forged header. Keep-alive by default, so a flood does not exhaust ports.
 */
export class AttackClient {
  readonly localAddress: string;
  readonly #agent: Agent | false;

  constructor(localAddress: string, options: { keepAlive?: boolean; maxSockets?: number } = {}) {
    this.localAddress = localAddress;
    this.#agent =
      options.keepAlive === false
        ? false
        : new Agent({ keepAlive: true, localAddress, maxSockets: options.maxSockets ?? 64 });
  }

  /** POSTs JSON to `url` (absolute, e.g. `${service.url}/api/auth/login`). */
  post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<AttackResponse> {
    return this.send('POST', url, { body, headers });
  }

  /** GETs `url`. */
  get(url: string, headers: Record<string, string> = {}): Promise<AttackResponse> {
    return this.send('GET', url, { headers });
  }

  /** Sends one request; resolves with whatever status the server answered. */
  send(method: string, url: string, options: AttackRequestOptions = {}): Promise<AttackResponse> {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string> = {
      // A browser-like default, so the suspicious_user_agent rule stays quiet unless asked.
      'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) flux-auth-attack-test',
      ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
      ...options.headers,
    };
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const req = request(url, {
        method,
        headers,
        agent: this.#agent,
        ...(this.#agent === false ? { localAddress: this.localAddress } : {}),
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: parseBody(text, res.headers['content-type']),
            ms: performance.now() - started,
          });
        });
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Closes the keep-alive sockets. */
  close(): void {
    if (this.#agent !== false) this.#agent.destroy();
  }
}

function parseBody(text: string, contentType: string | undefined): Json {
  if (text === '') return null;
  if (contentType?.includes('application/json')) {
    try {
      return JSON.parse(text) as Json;
    } catch {
      return text;
    }
  }
  return text;
}

/** The `Retry-After` header as a number (NaN when absent). */
export function retryAfterOf(response: AttackResponse): number {
  const value = response.headers['retry-after'];
  return Number(Array.isArray(value) ? value[0] : value);
}

/** Counts responses per status: `{ 401: 5, 429: 995 }`. */
export function countStatuses(
  responses: readonly Pick<AttackResponse, 'status'>[],
): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const { status } of responses) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}
