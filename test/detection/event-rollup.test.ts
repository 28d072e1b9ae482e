import { describe, expect, it } from 'vitest';
import { EventRollup } from '../../src/detection/event-rollup.ts';

function recorder() {
  const published: { sample: string; count: number }[] = [];
  const rollup = new EventRollup<string>((sample, count) => published.push({ sample, count }), 2);
  return { rollup, published };
}

describe('EventRollup', () => {
  it('publishes the first at once and holds repeats until the interval has passed', () => {
    const { rollup, published } = recorder();
    for (let i = 0; i < 5; i += 1) rollup.add('a', 1000 + i, 1000, `a${i}`);
    expect(published).toEqual([{ sample: 'a0', count: 1 }]);
    rollup.flush(1500);
    expect(published).toHaveLength(1);
    rollup.add('a', 2000, 1000, 'a5');
    expect(published[1]).toEqual({ sample: 'a5', count: 5 });
  });

  it('flush publishes held counts once due, and every held count with all', () => {
    const { rollup, published } = recorder();
    rollup.add('a', 0, 1000, 'x');
    rollup.add('a', 10, 1000, 'y');
    rollup.add('a', 20, 1000, 'z');
    rollup.flush(999);
    expect(published).toHaveLength(1);
    rollup.flush(1000);
    expect(published[1]).toEqual({ sample: 'z', count: 2 });
    rollup.add('a', 1001, 1000, 'w');
    rollup.flush(1002, { all: true });
    expect(published.reduce((sum, p) => sum + p.count, 0)).toBe(4);
  });

  it('publishes the held count of a key it evicts over the cap', () => {
    const { rollup, published } = recorder();
    rollup.add('a', 0, 1000, 'a');
    rollup.add('a', 1, 1000, 'a2');
    rollup.add('b', 2, 1000, 'b');
    rollup.add('c', 3, 1000, 'c');
    expect(published.map((p) => p.sample)).toEqual(['a', 'b', 'a2', 'c']);
    expect(published.reduce((sum, p) => sum + p.count, 0)).toBe(4);
  });
});
