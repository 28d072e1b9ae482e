import { connect, type Socket } from 'node:net';

const HEADER_END = Buffer.from('\r\n\r\n');

/** One request, encoded once and sent as often as wanted. */
export function encodeJsonPost(host: string, path: string, body: unknown): Buffer {
  const payload = JSON.stringify(body);
  return Buffer.from(
    `POST ${path} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: flux-auth-bench\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n\r\n` +
      payload,
  );
}

/**
 * A flood client the way autocannon is one: a single keep-alive socket bound to a source
 * address, pre-encoded requests written one at a time, answers read by status line and
 * Content-Length only. It costs the load process a small fraction of what node:http costs, so
 * the server's work, not the generator's, sets the rate. Answers must carry Content-Length.
 */
export class RawFloodClient {
  readonly #socket: Socket;
  #buffer: Buffer = Buffer.alloc(0);
  #waiting: { resolve: (status: number) => void; reject: (error: Error) => void } | null = null;
  #failure: Error | null = null;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
      this.#settle();
    });
    const fail = (error: Error) => {
      this.#failure = error;
      this.#waiting?.reject(error);
      this.#waiting = null;
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed by the server')));
  }

  /** Opens a connection from `localAddress` to `baseUrl` (`http://host:port`). */
  static open(baseUrl: string, localAddress: string): Promise<RawFloodClient> {
    const url = new URL(baseUrl);
    return new Promise((resolve, reject) => {
      const socket = connect({ host: url.hostname, port: Number(url.port), localAddress });
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RawFloodClient(socket));
      });
      socket.once('error', reject);
    });
  }

  /** Writes `request` and resolves with the status of its answer; one request at a time. */
  send(request: Buffer): Promise<number> {
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject };
      this.#socket.write(request);
    });
  }

  /** Closes the connection. */
  close(): void {
    this.#socket.destroy();
  }

  #settle(): void {
    const waiting = this.#waiting;
    if (waiting === null) return;
    const end = this.#buffer.indexOf(HEADER_END);
    if (end < 0) return;
    const head = this.#buffer.toString('latin1', 0, end);
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    const total = end + HEADER_END.length + Number(length?.[1] ?? 0);
    if (this.#buffer.length < total) return;
    this.#buffer = this.#buffer.subarray(total);
    this.#waiting = null;
    waiting.resolve(Number(head.slice(9, 12)));
  }
}
