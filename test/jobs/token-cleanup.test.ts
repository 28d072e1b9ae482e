import { afterEach, expect, it, vi } from 'vitest';
import { scheduleTokenCleanup } from '../../src/jobs/token-cleanup.ts';

afterEach(() => {
  vi.useRealTimers();
});

it('deletes on every interval, reports results and errors, and stops', async () => {
  vi.useFakeTimers();
  const calls: number[] = [];
  const results: number[] = [];
  const errors: unknown[] = [];
  let fail = false;
  const stop = scheduleTokenCleanup({
    intervalMs: 1000,
    clock: () => 42,
    deleteExpired: async (now) => {
      calls.push(now);
      if (fail) throw new Error('db down');
      return 3;
    },
    onResult: (n) => results.push(n),
    onError: (e) => errors.push(e),
  });
  await vi.advanceTimersByTimeAsync(999);
  expect(calls).toEqual([]);
  await vi.advanceTimersByTimeAsync(1);
  expect(calls).toEqual([42]);
  expect(results).toEqual([3]);
  fail = true;
  await vi.advanceTimersByTimeAsync(1000);
  expect(errors).toHaveLength(1);
  stop();
  await vi.advanceTimersByTimeAsync(5000);
  expect(calls).toHaveLength(2);
});
