import { describe, expect, it } from 'vitest';
import type { ReplayAttempt } from '../../src/backtest/index.ts';
import { diffBlocks, parseSince, replayBruteForce } from '../../src/backtest/index.ts';
import { DEFAULT_POLICY, parsePolicy } from '../../src/detection/index.ts';

const T0 = 1_800_000_000_000;
const policyWith = (input: unknown) => {
  const parsed = parsePolicy(input);
  if (!parsed.ok) throw new Error(parsed.problems.join());
  return parsed.policy;
};
const fail = (clientKey: string, i: number, accountKey = 'acct'): ReplayAttempt => ({
  at: T0 + i * 1000,
  clientKey,
  accountKey,
  outcome: 'failure',
});

describe('replayBruteForce', () => {
  it('blocks at the limit-th failure in the window, then refuses until the block ends', () => {
    const attempts = Array.from({ length: 8 }, (_, i) => fail('198.51.100.1', i));
    const blocks = replayBruteForce(attempts, DEFAULT_POLICY);
    expect(blocks).toEqual([
      {
        clientKey: '198.51.100.1',
        at: T0 + 4000,
        until: T0 + 4000 + 3_600_000,
        failures: 5,
        accounts: ['acct'],
      },
    ]);
    expect(
      replayBruteForce(attempts, policyWith({ rules: { brute_force: { limit: 10 } } })),
    ).toEqual([]);
  });

  it('a success clears that IP’s failures against that account only', () => {
    const attempts: ReplayAttempt[] = [
      fail('ip', 0, 'a'),
      fail('ip', 1, 'a'),
      fail('ip', 2, 'b'),
      fail('ip', 3, 'a'),
      { at: T0 + 4000, clientKey: 'ip', accountKey: 'a', outcome: 'success' },
      fail('ip', 5, 'b'),
      fail('ip', 6, 'b'),
      fail('ip', 7, 'b'),
    ];
    // b's four failures reach 4 < 5: no block; without the success there would be one.
    expect(replayBruteForce(attempts, DEFAULT_POLICY)).toEqual([]);
    expect(
      replayBruteForce(
        attempts.filter((a) => a.outcome !== 'success'),
        DEFAULT_POLICY,
      ),
    ).toHaveLength(1);
  });

  it('failures leave the sliding window; monitor mode and the allowlist never block', () => {
    const spread = Array.from({ length: 10 }, (_, i) => ({
      ...fail('ip', 0),
      at: T0 + i * 120_000,
    }));
    expect(replayBruteForce(spread, DEFAULT_POLICY)).toEqual([]);
    const burst = Array.from({ length: 6 }, (_, i) => fail('198.51.100.7', i));
    expect(
      replayBruteForce(burst, policyWith({ rules: { brute_force: { mode: 'monitor' } } })),
    ).toEqual([]);
    expect(replayBruteForce(burst, policyWith({ allowlist: ['198.51.100.0/24'] }))).toEqual([]);
  });

  it('pairs overlapping recorded and replayed blocks of one IP; the rest are added or removed', () => {
    const block = (clientKey: string, at: number) => ({
      clientKey,
      at,
      until: at + 3_600_000,
      failures: 5,
      accounts: [],
    });
    const diff = diffBlocks(
      [block('a', T0), block('b', T0)],
      [block('a', T0 - 2000), block('c', T0)],
    );
    expect(diff.kept).toBe(1);
    expect(diff.removed.map((b) => b.clientKey)).toEqual(['b']);
    expect(diff.added.map((b) => b.clientKey)).toEqual(['c']);
  });

  it('parses --since as a period or a past ISO time', () => {
    expect(parseSince('7d', T0)).toBe(T0 - 7 * 86_400_000);
    expect(parseSince('24h', T0)).toBe(T0 - 86_400_000);
    expect(parseSince('90m', T0)).toBe(T0 - 5_400_000);
    expect(parseSince('2026-01-01T00:00:00Z', T0)).toBe(Date.parse('2026-01-01T00:00:00Z'));
    for (const bad of ['7', 'seven days', '7w', '', '2099-01-01'])
      expect(parseSince(bad, T0), bad).toBeNull();
  });
});
