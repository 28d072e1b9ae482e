import { afterAll, describe, expect, it } from 'vitest';
import { DECAY } from '../../src/store/reputation-math.ts';
import {
  BOT_OVER,
  BRUTE_BLOCKS,
  BRUTE_BUSY,
  GUARD_OVER,
  STALE_PENDING,
} from '../../src/store/rule-thresholds.ts';
import { connectTestRedis, IS_CI, REDIS_URL } from './redis-test-client.ts';

// Each threshold's TypeScript form (memory store) and Lua form (Redis scripts) must give the
// same answer: evaluated on a grid around the boundary, the Lua by a real Redis.
const client = await connectTestRedis();

/** Every tuple of the grids' values (small, so a few hundred cases). */
function grid(...axes: number[][]): number[][] {
  return axes.reduce<number[][]>(
    (acc, axis) => acc.flatMap((row) => axis.map((v) => [...row, v])),
    [[]],
  );
}

const CASES = [
  { name: 'bot_activity over', t: BOT_OVER, args: grid([0, 4, 5, 6, 50, 51], [1, 5, 50]) },
  { name: 'brute_force blocks', t: BRUTE_BLOCKS, args: grid([0, 2, 3, 4, 5, 6], [1, 3, 5]) },
  {
    name: 'brute_force busy',
    t: BRUTE_BUSY,
    args: grid([0, 2, 3, 5], [0, 1, 2, 3], [1, 3, 5]),
  },
  {
    name: 'stale pending',
    t: STALE_PENDING,
    args: grid([1000, 30_999, 31_000, 31_001], [61_000, 61_001], [30_000]),
  },
  {
    name: 'account guard over',
    t: GUARD_OVER,
    args: grid([19, 20, 21], [4, 5, 6], [20], [5]),
  },
] as const;

if (client === null) {
  it.runIf(IS_CI)('Redis is reachable (required under CI)', () => {
    throw new Error(`Redis unreachable at ${REDIS_URL}; CI must provide it`);
  });
} else {
  afterAll(() => client.disconnect());
  describe('threshold decisions: one statement, two languages', () => {
    for (const { name, t, args } of CASES) {
      it(`${name}: TypeScript and Lua agree on every case`, async () => {
        const test = t.test as (...a: number[]) => boolean;
        const lua = t.lua as (...a: string[]) => string;
        const expected = args.map((row) => test(...row));
        const argv = args.map((row) => `return (${lua(...row.map(String))}) and 1 or 0`);
        const got = await Promise.all(argv.map((code) => client.eval(code, 0)));
        expect(got.map((v) => v === 1)).toEqual(expected);
        // Both answers occur: the grid straddles the boundary.
        expect(new Set(expected).size).toBe(2);
      });
    }
  });
}

if (client !== null) {
  describe('reputation decay: one statement, two languages', () => {
    it('TypeScript and Lua decay a score alike (to 1e-9)', async () => {
      const cases = grid(
        [0, 30, 99.5, 100],
        [0, 1, 3_600_000, 86_400_000, 3 * 86_400_000],
        [86_400_000, 3_600_000],
      );
      const lua = await Promise.all(
        cases.map(([s, e, h]) =>
          client.eval(`return tostring(${DECAY.lua(String(s), String(e), String(h))})`, 0),
        ),
      );
      cases.forEach(([s, e, h], i) => {
        expect(Number(lua[i])).toBeCloseTo(DECAY.test(s ?? 0, e ?? 0, h ?? 1), 9);
      });
    });
  });
}
