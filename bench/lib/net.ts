import { createServer } from 'node:net';

/** A TCP port free on 127.0.0.1 right now (the OS picks it; a race is possible but unlikely). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not read the port of a probe socket'));
      });
    });
  });
}

/**
 * Hands out loopback source addresses (`127.<block>.y.z`, z in 2..254) in order. Every
 * 127.x.y.z reaches a server listening on 127.0.0.1, so spreading clients over them keeps
 * each address far below any per-IP limit a detector may apply. Give each process its own
 * `block` so two processes never share an address.
 */
export class SourceAddressPool {
  readonly #block: number;
  #next = 0;

  constructor(block: number) {
    if (!Number.isInteger(block) || block < 1 || block > 255) {
      throw new RangeError('block must be an integer in 1..255');
    }
    this.#block = block;
  }

  /** The next unused address; wraps after 256 × 253 addresses. */
  next(): string {
    const index = this.#next++ % (256 * 253);
    const y = Math.floor(index / 253);
    const z = (index % 253) + 2;
    return `127.${this.#block}.${y}.${z}`;
  }
}
