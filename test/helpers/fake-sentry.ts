import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync, inflateSync } from 'node:zlib';

/** One item of an envelope: its header's `type` and its JSON payload. */
export interface EnvelopeItem {
  readonly type: string;
  readonly payload: Record<string, unknown>;
}

/** One envelope as received: the decompressed bytes and its items. */
export interface ReceivedEnvelope {
  readonly raw: Buffer;
  readonly items: readonly EnvelopeItem[];
}

/** A Sentry ingestion endpoint the test runs itself; its DSN points at it. */
export interface FakeSentry {
  readonly dsn: string;
  readonly envelopes: ReceivedEnvelope[];
  /** Items of one type (`event`, `transaction`, …) over all envelopes so far. */
  items(type: string): Record<string, unknown>[];
  /** All decompressed bytes received so far, concatenated. */
  rawBytes(): Buffer;
  /** Resolves when `predicate` holds (checked on every envelope), rejects after `timeoutMs`. */
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Parses a Sentry envelope: a header line, then item header lines each followed by a payload. */
export function parseEnvelope(raw: Buffer): EnvelopeItem[] {
  const items: EnvelopeItem[] = [];
  let offset = raw.indexOf(0x0a) + 1;
  if (offset === 0) return items;
  while (offset < raw.length) {
    const headerEnd = indexOrEnd(raw, offset);
    const headerText = raw.subarray(offset, headerEnd).toString('utf8').trim();
    offset = headerEnd + 1;
    if (headerText === '') continue;
    const header = JSON.parse(headerText) as { type?: string; length?: number };
    const end =
      typeof header.length === 'number' ? offset + header.length : indexOrEnd(raw, offset);
    const payloadText = raw.subarray(offset, end).toString('utf8');
    offset = end + 1;
    let payload: Record<string, unknown> = {};
    try {
      payload = JSON.parse(payloadText) as Record<string, unknown>;
    } catch {
      payload = { unparsed: payloadText };
    }
    items.push({ type: header.type ?? 'unknown', payload });
  }
  return items;
}

function indexOrEnd(raw: Buffer, from: number): number {
  const index = raw.indexOf(0x0a, from);
  return index === -1 ? raw.length : index;
}

function decode(request: IncomingMessage, body: Buffer): Buffer {
  const encoding = request.headers['content-encoding'];
  if (encoding === 'gzip') return gunzipSync(body);
  if (encoding === 'deflate') return inflateSync(body);
  return body;
}

/** Starts the fake ingestion endpoint on a free loopback port. */
export async function startFakeSentry(): Promise<FakeSentry> {
  const envelopes: ReceivedEnvelope[] = [];
  const waiters = new Set<() => void>();
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = decode(request, Buffer.concat(chunks));
      envelopes.push({ raw, items: parseEnvelope(raw) });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      for (const waiter of waiters) waiter();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    dsn: `http://0123456789abcdef0123456789abcdef@127.0.0.1:${port}/1`,
    envelopes,
    items: (type) =>
      envelopes.flatMap((e) => e.items.filter((i) => i.type === type).map((i) => i.payload)),
    rawBytes: () => Buffer.concat(envelopes.map((e) => e.raw)),
    waitFor: (predicate, timeoutMs = 15_000) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!predicate()) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `fake Sentry: condition not met within ${timeoutMs} ms (${envelopes.length} envelopes received)`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
