import { describe, expect, it } from 'vitest';
import { HashQueue } from '../../src/accounts/index.ts';
import { ServiceBusyError } from '../../src/errors.ts';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('HashQueue', () => {
  it("reports each task's wait for a slot: 0 when one was free, the queueing time otherwise", async () => {
    const waits: number[] = [];
    const queue = new HashQueue({ maxInFlight: 1, maxQueued: 1, onWait: (ms) => waits.push(ms) });
    const gate = deferred();
    const first = queue.run(() => gate.promise);
    const second = queue.run(async () => 'second');
    await expect(queue.run(async () => 'refused')).rejects.toBeInstanceOf(ServiceBusyError);
    expect(waits).toEqual([0]);
    await new Promise((resolve) => setTimeout(resolve, 30));
    gate.resolve();
    await Promise.all([first, second]);
    // The refused task never started, so it reports no wait; the queued one waited for the gate.
    expect(waits).toHaveLength(2);
    expect(waits[1]).toBeGreaterThanOrEqual(25);
  });

  it('runs at most maxInFlight, queues up to maxQueued, then refuses with 503', async () => {
    const queue = new HashQueue({ maxInFlight: 2, maxQueued: 3 });
    const gate = deferred();
    let running = 0;
    let peak = 0;
    const task = async () => {
      running++;
      peak = Math.max(peak, running);
      await gate.promise;
      running--;
      return 'done';
    };
    const accepted = Array.from({ length: 5 }, () => queue.run(task));
    expect(queue.inFlight).toBe(2);
    expect(queue.queued).toBe(3);

    const refused = queue.run(task);
    await expect(refused).rejects.toBeInstanceOf(ServiceBusyError);
    await expect(refused).rejects.toMatchObject({ status: 503, headers: { 'retry-after': '1' } });

    gate.resolve();
    await expect(Promise.all(accepted)).resolves.toEqual(Array(5).fill('done'));
    expect(peak).toBe(2);
    expect(queue.inFlight).toBe(0);
    expect(queue.queued).toBe(0);
  });

  it('starts queued work in FIFO order and frees the slot when a task fails', async () => {
    const queue = new HashQueue({ maxInFlight: 1, maxQueued: 10 });
    const order: number[] = [];
    const first = queue.run(async () => {
      throw new Error('boom');
    });
    const rest = [1, 2, 3].map((n) =>
      queue.run(async () => {
        order.push(n);
      }),
    );
    await expect(first).rejects.toThrow('boom');
    await Promise.all(rest);
    expect(order).toEqual([1, 2, 3]);
    expect(queue.inFlight).toBe(0);
  });

  it('starts the next queued task in the same microtask the running one settles in', async () => {
    const queue = new HashQueue({ maxInFlight: 1, maxQueued: 10 });
    const gate = deferred();
    let secondStarted = false;
    const first = queue.run(() => gate.promise);
    const second = queue.run(async () => {
      secondStarted = true;
    });
    expect(queue.queued).toBe(1);
    // Registered after the queue's own reaction to the first task, so it runs right after it.
    let startedWhenFirstSettled: boolean | null = null;
    void gate.promise.then(() => {
      startedWhenFirstSettled = secondStarted;
    });
    gate.resolve();
    await Promise.all([first, second]);
    expect(startedWhenFirstSettled).toBe(true);
    expect(queue.inFlight).toBe(0);
  });

  it('frees the slot when a task throws synchronously, and returns rejections not throws', async () => {
    const queue = new HashQueue({ maxInFlight: 1, maxQueued: 0 });
    const bad = queue.run((): Promise<never> => {
      throw new Error('sync boom');
    });
    await expect(bad).rejects.toThrow('sync boom');
    expect(queue.inFlight).toBe(0);
    const gate = deferred();
    const running = queue.run(() => gate.promise);
    const refused = queue.run(async () => {});
    expect(refused).toBeInstanceOf(Promise);
    await expect(refused).rejects.toBeInstanceOf(ServiceBusyError);
    gate.resolve();
    await running;
    expect(queue.inFlight).toBe(0);
  });

  it('hands a slot over without exceeding maxInFlight under a long queue', async () => {
    const queue = new HashQueue({ maxInFlight: 2, maxQueued: 100 });
    let running = 0;
    let peak = 0;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        queue.run(async () => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((r) => setImmediate(r));
          running--;
          return i;
        }),
      ),
    );
    expect(results).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(peak).toBe(2);
    expect(queue.inFlight).toBe(0);
    expect(queue.queued).toBe(0);
  });
});
