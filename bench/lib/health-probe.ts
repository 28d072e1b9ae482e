import { LoopbackClient } from './http-client.ts';
import { SourceAddressPool } from './net.ts';
import { bump } from './stats.ts';

/** What {@link probeHealth} saw. */
export interface HealthProbeResult {
  /** Latency (ms) of every answered request, whatever its status. */
  readonly latencies: number[];
  readonly statuses: Record<string, number>;
  readonly non200: number;
}

/**
 * Sends `GET /health` sequentially at `ratePerSecond` for `seconds` over one keep-alive
 * connection (source address rotated every 40 requests). Requests start on a fixed schedule;
 * one that is late starts right after the previous answer (no overlap).
 */
export async function probeHealth(
  baseUrl: string,
  seconds: number,
  ratePerSecond: number,
  addressBlock: number,
): Promise<HealthProbeResult> {
  const client = new LoopbackClient(baseUrl, { pool: new SourceAddressPool(addressBlock) });
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let non200 = 0;
  const interval = 1000 / ratePerSecond;
  const total = Math.round(seconds * ratePerSecond);
  const start = performance.now();
  try {
    for (let i = 0; i < total; i++) {
      const wait = start + i * interval - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      try {
        const answer = await client.send('GET', '/health');
        latencies.push(answer.ms);
        bump(statuses, answer.status);
        if (answer.status !== 200) non200++;
      } catch {
        bump(statuses, 'error');
        non200++;
        client.close();
      }
    }
  } finally {
    client.close();
  }
  return { latencies, statuses, non200 };
}
