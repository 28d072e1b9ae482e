import type { Config } from '../config/index.ts';
import { createDetector, DEFAULT_POLICY, loadPolicyFile } from '../detection/index.ts';
import { toBlockView } from '../detection-blocks.ts';
import { SecurityEventBus } from '../events/index.ts';
import { createRedisClient, RedisCounterStore, waitForRedisReady } from '../store/index.ts';
import { failAndExit, loadConfigOrExit } from './load-or-exit.ts';

// Blocks live in the shared Redis store; without it they live inside each server process,
// where only the admin API can reach them.
async function withDetector<T>(
  work: (d: ReturnType<typeof createDetector>) => Promise<T>,
): Promise<T> {
  const { config } = loadConfigOrExit();
  if (!config.redisUrl) {
    failAndExit(
      'blocks',
      new Error(
        'REDIS_URL is not set: blocks live in the running server; use POST/DELETE /api/admin/blocks',
      ),
      78,
    );
  }
  const policy = await policyOf(config);
  // Redis itself, never the resilient store: a CLI process's in-memory fallback would
  // report success for a block no server sees. Any Redis failure is an error (exit 1).
  const client = createRedisClient(config.redisUrl, { cluster: config.redisCluster });
  try {
    await waitForRedisReady(client, 3000);
    const store = new RedisCounterStore(client);
    return await work(createDetector({ store, policy: () => policy, bus: new SecurityEventBus() }));
  } finally {
    // QUIT lets replies still in flight (the un-awaited block index update) arrive first.
    await client.quit().catch(() => client.disconnect());
  }
}

async function policyOf(config: Config) {
  return config.policyFile ? loadPolicyFile(config.policyFile) : DEFAULT_POLICY;
}

/** `flux-auth block <ip> [--minutes N] [--reason text]`. */
export async function runBlock(
  ip: string,
  options: { minutes: string; reason: string },
): Promise<void> {
  const minutes = Number(options.minutes);
  if (!Number.isInteger(minutes) || minutes < 1)
    failAndExit('block', new Error('--minutes must be a whole number ≥ 1'), 64);
  try {
    const record = await withDetector((d) =>
      d.blockIp(ip, { durationSeconds: minutes * 60, reason: options.reason }),
    );
    const view = toBlockView(record);
    process.stdout.write(`blocked ${view.ip} until ${view.expiresAt} (${options.reason})\n`);
  } catch (error) {
    failAndExit('block failed', error);
  }
}

/** `flux-auth unblock <ip>`: exit 1 when there was no block. */
export async function runUnblock(ip: string): Promise<void> {
  try {
    const removed = await withDetector((d) => d.unblockIp(ip));
    process.stdout.write(removed ? `unblocked ${ip}\n` : `no active block for ${ip}\n`);
    process.exitCode = removed ? 0 : 1;
  } catch (error) {
    failAndExit('unblock failed', error);
  }
}

/** `flux-auth blocks`: lists active blocks with rule, evidence and expiry. */
export async function runListBlocks(): Promise<void> {
  try {
    const blocks = (await withDetector((d) => d.listBlocks())).map(toBlockView);
    if (blocks.length === 0) process.stdout.write('no active blocks\n');
    for (const b of blocks) {
      process.stdout.write(
        `${b.ip}  ${b.rule}  until ${b.expiresAt}  ${JSON.stringify(b.evidence)}\n`,
      );
    }
  } catch (error) {
    failAndExit('blocks failed', error);
  }
}
