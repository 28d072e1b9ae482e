import { expect, it } from 'vitest';
import { EventRateLimiter } from '../../src/monitoring/event-rate-limiter.ts';

it('lets `perKey` events per key and window through and reports the held-back count with the next', () => {
  let now = 0;
  const limiter = new EventRateLimiter({ perKey: 2, total: 100, windowMs: 1000, clock: () => now });
  const decisions = Array.from({ length: 5 }, () => limiter.take('db').allowed);
  expect(decisions).toEqual([true, true, false, false, false]);
  expect(limiter.take('busy').allowed).toBe(true);
  now = 1000;
  expect(limiter.take('db')).toEqual({ allowed: true, suppressed: 3 });
  expect(limiter.take('db')).toEqual({ allowed: true, suppressed: 0 });
});

it('caps all keys together at `total` per window', () => {
  let now = 0;
  const limiter = new EventRateLimiter({ perKey: 10, total: 3, windowMs: 1000, clock: () => now });
  const allowed = ['a', 'b', 'c', 'd', 'e'].map((key) => limiter.take(key).allowed);
  expect(allowed).toEqual([true, true, true, false, false]);
  now = 1000;
  expect(limiter.take('d')).toEqual({ allowed: true, suppressed: 1 });
});

it('forgets the oldest key past `maxKeys`', () => {
  const limiter = new EventRateLimiter({
    perKey: 1,
    total: 100,
    windowMs: 1000,
    maxKeys: 2,
    clock: () => 0,
  });
  limiter.take('a');
  limiter.take('b');
  limiter.take('c');
  // `a` was forgotten: it starts a fresh window.
  expect(limiter.take('a').allowed).toBe(true);
  expect(limiter.take('c').allowed).toBe(false);
});
