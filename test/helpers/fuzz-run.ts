import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import {
  createRandom,
  type FetchCase,
  type FuzzCase,
  fuzzCase,
  type RawCase,
} from './fuzz-cases.ts';

/** What one fuzz run saw. */
export interface FuzzResult {
  /** Answers per status; raw sockets may carry several answers (pipelined garbage). */
  readonly statuses: Record<number, number>;
  /** Requests answered 5xx, with the case's name (for replay). */
  readonly serverErrors: string[];
  /** Raw sockets closed or timed out with no answer (broken or incomplete HTTP). */
  readonly unanswered: number;
  /** fetch calls that failed once at the network level and were answered on a retry. */
  readonly retried: number;
  /** fetch calls that failed at the network level twice, with the case's name. */
  readonly networkErrors: string[];
  /** Resident set size of the server (kB), sampled after the warm-up. */
  readonly rssKb: number[];
}

/** How a fuzz run is driven. */
export interface FuzzOptions {
  readonly url: string;
  /** Server process id, whose VmRSS is sampled from /proc. */
  readonly pid: number;
  readonly count: number;
  /** Requests sent before RSS sampling starts (JIT and heap warm-up). */
  readonly warmup: number;
  readonly seed: number;
  readonly concurrency?: number;
  readonly sampleEveryMs?: number;
}

/** VmRSS of `pid` in kB (from /proc/<pid>/status). */
export function residentKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  if (match?.[1] === undefined) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]);
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

/** Median RSS of the first and last 20 % of samples, and their ratio (last / first). */
export function rssDrift(samples: readonly number[]): {
  first: number;
  last: number;
  ratio: number;
} {
  const fifth = Math.max(1, Math.floor(samples.length / 5));
  const first = median(samples.slice(0, fifth));
  const last = median(samples.slice(-fifth));
  return { first, last, ratio: last / first };
}

/** Sends one raw case and resolves with every status line it got back (maybe none). */
function sendRaw(url: URL, item: RawCase): Promise<number[]> {
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname);
    let text = '';
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(quiet);
      clearTimeout(hard);
      socket.destroy();
      resolve([...text.matchAll(/(?:^|\r\n)HTTP\/1\.[01] (\d{3})/g)].map((m) => Number(m[1])));
    };
    // An incomplete request waits for bytes that never come: half-close after 0.5 s, give
    // up after 1.5 s. Neither is a failure; the server must simply stay up.
    const quiet = setTimeout(() => socket.end(), 500);
    const hard = setTimeout(finish, 1500);
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
    });
    socket.on('error', finish);
    socket.on('close', finish);
    socket.write(item.bytes);
  });
}

async function sendFetch(url: URL, item: FetchCase): Promise<number> {
  // Concatenated, not resolved: `//api//auth` must stay a path, not become a host.
  const response = await fetch(`${url.origin}${item.path}`, {
    method: item.method,
    headers: item.headers,
    ...(item.body === undefined ? {} : { body: item.body }),
    redirect: 'manual',
    signal: AbortSignal.timeout(10_000),
  });
  await response.arrayBuffer();
  return response.status;
}

/**
 * Sends `count` generated cases to the server at `url`, `concurrency` at a time, sampling the
 * server's RSS every `sampleEveryMs` once `warmup` cases went out. Never throws for what the
 * server answers; the caller asserts on the result.
 */
export async function runFuzz(options: FuzzOptions): Promise<FuzzResult> {
  const url = new URL(options.url);
  const random = createRandom(options.seed);
  const result: { -readonly [K in keyof FuzzResult]: FuzzResult[K] } = {
    statuses: {},
    serverErrors: [],
    unanswered: 0,
    retried: 0,
    networkErrors: [],
    rssKb: [],
  };
  let next = 0;
  let sampler: NodeJS.Timeout | null = null;
  const note = (item: FuzzCase, status: number) => {
    result.statuses[status] = (result.statuses[status] ?? 0) + 1;
    if (status >= 500) result.serverErrors.push(`${status} ${item.name}`);
  };
  const worker = async () => {
    while (next < options.count) {
      const index = next;
      next += 1;
      if (index === options.warmup && sampler === null) {
        sampler = setInterval(
          () => result.rssKb.push(residentKb(options.pid)),
          options.sampleEveryMs ?? 100,
        );
      }
      const item = fuzzCase(random, index);
      if (item.kind === 'raw') {
        const statuses = await sendRaw(url, item);
        if (statuses.length === 0) result.unanswered += 1;
        for (const status of statuses) note(item, status);
      } else {
        try {
          note(item, await sendFetch(url, item));
        } catch (first) {
          // A pooled keep-alive connection the server closed just as it was reused ("other
          // side closed") is a client race; the retry goes out on a new connection. Only a
          // request that fails twice counts.
          try {
            note(item, await sendFetch(url, item));
            result.retried += 1;
          } catch (error) {
            const cause = error instanceof Error && error.cause ? String(error.cause) : '';
            result.networkErrors.push(
              `${item.name}: ${String(error)} ${cause} (first: ${String(first)})`,
            );
          }
        }
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency ?? 24 }, worker));
  } finally {
    if (sampler !== null) clearInterval(sampler);
  }
  result.rssKb.push(residentKb(options.pid));
  return result;
}
