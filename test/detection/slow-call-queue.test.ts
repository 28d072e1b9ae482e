import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type QueuedCall, SlowCallQueue } from '../../src/detection/slow-call-queue.ts';

type Call = QueuedCall & { name: string; phase: 'waiting' | 'slow' | 'done' };

const call = (name: string): Call => ({ name, deadline: 0, phase: 'waiting' });

describe('SlowCallQueue', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('judges only calls still waiting after the timeout, each once, in start order', () => {
    const judged: string[] = [];
    const queue = new SlowCallQueue<Call>(20, (c) => {
      judged.push(c.name);
      c.phase = 'slow';
    });
    const fast = call('fast');
    const slow = call('slow');
    const later = call('later');
    const last = call('last');
    queue.add(fast);
    queue.add(slow);
    vi.advanceTimersByTime(10);
    queue.add(later);
    queue.add(last);
    fast.phase = 'done';
    queue.settled();
    vi.advanceTimersByTime(15); // t=25: slow is past its deadline (20); later and last (30) not
    expect(judged).toEqual(['slow']);
    later.phase = 'done';
    queue.settled();
    vi.advanceTimersByTime(10); // t=35
    expect(judged).toEqual(['slow', 'last']);
    expect(queue.size).toBe(0);
  });

  it('waits one more loop turn: an answer read in that turn is not judged slow', () => {
    const judged: string[] = [];
    const queue = new SlowCallQueue<Call>(20, (c) => judged.push(c.name));
    const c = call('stalled');
    queue.add(c);
    // The timer fires at 20; before the immediate that judges, the answer is read.
    vi.advanceTimersToNextTimer();
    c.phase = 'done';
    queue.settled();
    vi.runAllTimers();
    expect(judged).toEqual([]);
  });

  it('holds nothing once every call has finished (no timer, no records)', () => {
    let judged = 0;
    const queue = new SlowCallQueue<Call>(20, () => {
      judged += 1;
    });
    const calls = Array.from({ length: 3000 }, (_, i) => call(String(i)));
    for (const c of calls) queue.add(c);
    for (const c of calls) {
      c.phase = 'done';
      queue.settled();
    }
    expect(queue.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(100);
    expect(judged).toBe(0);
  });
});
