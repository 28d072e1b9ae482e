import { describe, expect, it } from 'vitest';
import { BoundedMap } from '../../src/store/bounded-map.ts';

// Values are expiry times: a key is expired once `now` reaches its value.
const map = (max = 100) => new BoundedMap<number>(max, (expiresAt, now) => expiresAt <= now, 2);

describe('BoundedMap', () => {
  it('drops expired keys from the least recently written end as it writes', () => {
    const m = map();
    for (let i = 0; i < 6; i += 1) m.set(`old${i}`, 10, 0);
    m.set('live', 1000, 20); // each write drops up to two expired keys from the front
    expect(m.size).toBe(5);
    m.set('live', 1000, 20);
    m.set('live', 1000, 20);
    expect([...m.entries()].map(([k]) => k)).toEqual(['live']);
  });

  it('stops at the first live key and keeps it, rewritten keys moving to the back', () => {
    const m = map();
    m.set('a', 100, 0);
    m.set('b', 10, 0);
    m.set('a', 100, 0); // a moves behind b
    m.set('c', 100, 50); // b (expired) is at the front: dropped; a is live: the sweep stops
    expect([...m.entries()].map(([k]) => k)).toEqual(['a', 'c']);
  });

  it('evicts the least recently written key over the cap', () => {
    const m = map(2);
    m.set('a', 100, 0);
    m.set('b', 100, 0);
    m.set('a', 100, 0);
    m.set('c', 100, 0);
    expect([...m.entries()].map(([k]) => k)).toEqual(['a', 'c']);
    expect(m.evictions).toBe(1);
  });

  it('evicts exactly the least recently written key through churn, rewrites and deletes', () => {
    // Checked against a plain Map model: the long-lived cursor must never skip a live key.
    const m = map(50);
    const model = new Map<string, number>();
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let i = 0; i < 20_000; i += 1) {
      const key = `k${rand(120)}`;
      if (rand(5) === 0) {
        m.delete(key);
        model.delete(key);
      } else {
        m.set(key, 1e12, i);
        model.delete(key);
        model.set(key, 1e12);
        while (model.size > 50) model.delete(model.keys().next().value as string);
      }
      expect(m.size).toBe(model.size);
    }
    expect([...m.entries()].map(([k]) => k)).toEqual([...model.keys()]);
  });
});
