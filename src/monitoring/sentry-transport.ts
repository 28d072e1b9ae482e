import http from 'node:http';
import https from 'node:https';
import { makeNodeTransport, type NodeOptions } from '@sentry/node';
import type { SentryCounters } from './sentry-stats.ts';

type TransportFactory = NonNullable<NodeOptions['transport']>;
type TransportOptions = Parameters<TransportFactory>[0];
type HttpModule = NonNullable<TransportOptions['httpModule']>;
type Envelope = Parameters<ReturnType<TransportFactory>['send']>[0];

/** Limits of the Sentry transport. */
export interface CountingTransportOptions {
  /** Envelopes in flight at most; past it new ones are dropped (and counted). */
  readonly queueSize: number;
  /** A send that has not been answered after this long is abandoned (ms). */
  readonly timeoutMs: number;
}

/**
 * The SDK's Node transport with a bounded queue and a timeout per send, counting what was
 * accepted and what was lost. A DSN host that is down or slow costs requests nothing: sends run
 * off the request path, the queue is bounded, and a hung send is cut off after `timeoutMs`.
 */
export function createCountingTransport(
  counters: SentryCounters,
  options: CountingTransportOptions,
): TransportFactory {
  return (transportOptions: TransportOptions) => {
    const inner = makeNodeTransport({
      ...transportOptions,
      bufferSize: options.queueSize,
      httpModule: timedHttpModule(options.timeoutMs),
      recordDroppedEvent: (reason, category, count) => {
        // A transaction is also reported as its spans; count the transaction once.
        if (category !== 'span' && category !== 'internal') counters.dropped += count ?? 1;
        transportOptions.recordDroppedEvent(reason, category, count);
      },
    });
    return {
      send: async (envelope: Envelope) => {
        const response = await inner.send(envelope);
        const status = response.statusCode;
        if (status !== undefined && status >= 200 && status < 300) {
          counters.sent += countEvents(envelope);
        }
        return response;
      },
      flush: (timeoutMs?: number) => inner.flush(timeoutMs),
    };
  };
}

/** What the client can do with a dropped event: report it (client reports). */
export interface DropRecorder {
  recordDroppedEvent(reason: string, category: string, count?: number): void;
}

/**
 * Counts in `counters.dropped` the events the client's own processing queue turns away before
 * the transport sees them (a burst of transactions captured at once). The transport's losses are
 * counted by the transport: it reports them to the method as bound when the client was built,
 * not through this replacement, so nothing is counted twice.
 */
export function countLostEvents(client: DropRecorder, counters: SentryCounters): void {
  const record = client.recordDroppedEvent.bind(client);
  client.recordDroppedEvent = (reason, category, count) => {
    if (reason === 'queue_overflow' && category !== 'span' && category !== 'internal') {
      counters.dropped += count ?? 1;
    }
    record(reason, category, count);
  };
}

function countEvents(envelope: Envelope): number {
  let count = 0;
  for (const [itemHeaders] of envelope[1]) {
    if (itemHeaders.type === 'event' || itemHeaders.type === 'transaction') count += 1;
  }
  return count;
}

// node:http or node:https by the request's protocol, with a deadline on every request.
function timedHttpModule(timeoutMs: number): HttpModule {
  return {
    request: (requestOptions, callback) => {
      const isHttps =
        typeof requestOptions === 'object' &&
        !(requestOptions instanceof URL) &&
        requestOptions.protocol === 'https:';
      const module = isHttps ? https : http;
      const request =
        typeof requestOptions === 'string' || requestOptions instanceof URL
          ? module.request(requestOptions, callback)
          : module.request(requestOptions, callback);
      request.setTimeout(timeoutMs, () => {
        request.destroy(new Error(`Sentry ingestion did not answer within ${timeoutMs} ms`));
      });
      return request;
    },
  };
}
