import { availableParallelism } from 'node:os';
import { HashQueue, PasswordHasher } from '../src/accounts/index.ts';

/**
 * argon2id verifies per second with every CPU busy, using the service's parameters and
 * queue (maxInFlight = CPUs). Runs for about `seconds`; the baseline for login throughput.
 */
export async function measureRawHashRate(seconds: number): Promise<number> {
  const workers = availableParallelism();
  const hasher = new PasswordHasher({ queue: new HashQueue({ maxInFlight: workers }) });
  const stored = await hasher.hash('benchmark-password-1');
  const deadline = performance.now() + seconds * 1000;
  let verifies = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (performance.now() < deadline) {
        await hasher.verify(stored, 'benchmark-password-2');
        verifies++;
      }
    }),
  );
  return verifies / ((performance.now() - start) / 1000);
}
