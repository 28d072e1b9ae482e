import { Redis } from 'ioredis';
import { readProcessEnv } from '../config/index.ts';
import {
  createRedisClient,
  pingRedis as pingEveryMaster,
  waitForRedisReady,
} from '../store/index.ts';
import { formatDoctorTable, runDoctor } from './doctor.ts';

// A short-lived connection that fails fast instead of retrying forever. A cluster: every
// master answers and the cluster says its state is ok.
async function pingRedis(url: string, cluster: boolean): Promise<void> {
  if (cluster) {
    const client = createRedisClient(url, { cluster: true, connectTimeoutMs: 2000 });
    try {
      await waitForRedisReady(client, 5000);
      await pingEveryMaster(client);
    } finally {
      client.disconnect();
    }
    return;
  }
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
  } finally {
    client.disconnect();
  }
}

/** `flux-auth doctor`: prints the table; exit code 1 when any check failed. */
export async function runDoctorCommand(): Promise<void> {
  const checks = await runDoctor(readProcessEnv(), process.cwd(), pingRedis);
  process.stdout.write(`${formatDoctorTable(checks)}\n`);
  const failed = checks.filter((c) => !c.ok).length;
  process.stdout.write(failed ? `\n${failed} check(s) failed\n` : '\nall checks passed\n');
  process.exitCode = failed ? 1 : 0;
}
