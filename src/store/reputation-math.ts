/**
 * The arithmetic of reputation scores, stated once with its TypeScript form (memory store,
 * detector) and its Lua form (Redis script); a test checks the two agree on a real Redis.
 */

/** Highest score. */
export const MAX_REPUTATION = 100;

/** A score `elapsedMs` later: halved every `halfLifeMs`. */
export const DECAY = {
  test: (score: number, elapsedMs: number, halfLifeMs: number): number =>
    score * 2 ** (-Math.max(0, elapsedMs) / halfLifeMs),
  lua: (score: string, elapsedMs: string, halfLifeMs: string): string =>
    `(${score}) * math.pow(2, -math.max(0, ${elapsedMs}) / (${halfLifeMs}))`,
};

/** The score after adding points to a decayed one, capped at 100. */
export function addPoints(decayed: number, points: number): number {
  return Math.min(MAX_REPUTATION, decayed + points);
}

/**
 * When a score of `score` at `at` decays below `threshold` (epoch ms); `at` itself or earlier
 * when it is below already.
 */
export function untilBelow(
  score: number,
  at: number,
  threshold: number,
  halfLifeMs: number,
): number {
  if (score < threshold || threshold <= 0) return at;
  return at + Math.ceil(halfLifeMs * Math.log2(score / threshold)) + 1;
}
