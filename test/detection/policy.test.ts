import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_POLICY,
  type DetectionPolicy,
  loadPolicyFile,
  PolicyFileError,
  parsePolicy,
  watchPolicy,
} from '../../src/detection/index.ts';

describe('parsePolicy', () => {
  it('has the SPEC §3 defaults', () => {
    const { rules } = DEFAULT_POLICY;
    expect(rules.brute_force).toEqual({
      mode: 'enforce',
      limit: 5,
      windowMs: 300_000,
      blockSeconds: 3600,
    });
    expect(rules.bot_activity).toEqual({
      mode: 'enforce',
      limit: 50,
      windowMs: 60_000,
      blockSeconds: 1800,
    });
    expect(rules.multiple_devices.limit).toBe(3);
    expect(rules.rapid_token_refresh).toMatchObject({ limit: 10, windowMs: 600_000 });
  });

  it('merges a partial file over the defaults', () => {
    const result = parsePolicy({
      rules: { brute_force: { limit: 3, mode: 'monitor' } },
      allowlist: ['10.0.0.0/8'],
    });
    if (!result.ok) throw new Error(result.problems.join('\n'));
    expect(result.policy.rules.brute_force).toEqual({
      mode: 'monitor',
      limit: 3,
      windowMs: 300_000,
      blockSeconds: 3600,
    });
    expect(result.policy.rules.bot_activity.limit).toBe(50);
    expect(result.policy.allowlist).toEqual(['10.0.0.0/8']);
  });

  it('reports one line per problem naming the JSON path', () => {
    const result = parsePolicy({
      rules: { brute_force: { limit: -1, mode: 'block' }, bot_activty: {} },
      denylist: ['10.0.0.0/33', 7],
      ipv6PrefixLength: 200,
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([
      'rules.bot_activty: unknown rule; valid rules are brute_force, bot_activity, suspicious_user_agent, multiple_devices, rapid_token_refresh, account_takeover, account_guard',
      'rules.brute_force.mode: must be "enforce" or "monitor", got "block"',
      'rules.brute_force.limit: must be a positive integer, got -1',
      'denylist[0]: not an IP address or CIDR range: "10.0.0.0/33"',
      'denylist[1]: not an IP address or CIDR range: 7',
      'ipv6PrefixLength: must be at most 128, got 200',
    ]);
  });
});

describe('policy files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fa-policy-'));

  it('loads a file and refuses an invalid one with its problems', async () => {
    const path = join(dir, 'load.json');
    writeFileSync(path, JSON.stringify({ rules: { bot_activity: { limit: 20 } } }));
    expect((await loadPolicyFile(path)).rules.bot_activity.limit).toBe(20);
    writeFileSync(path, '{ nope');
    await expect(loadPolicyFile(path)).rejects.toBeInstanceOf(PolicyFileError);
    await expect(loadPolicyFile(join(dir, 'missing.json'))).rejects.toThrow(/cannot read/);
  });

  it('watchPolicy applies a valid change and refuses an invalid one', async () => {
    const path = join(dir, 'watch.json');
    writeFileSync(path, JSON.stringify({ rules: { brute_force: { limit: 5 } } }));
    let current: DetectionPolicy = await loadPolicyFile(path);
    const errors: PolicyFileError[] = [];
    const stop = watchPolicy(
      path,
      (p) => (current = p),
      (e) => errors.push(e),
      { intervalMs: 20 },
    );
    try {
      await new Promise((r) => setTimeout(r, 50));
      writeFileSync(path, JSON.stringify({ rules: { brute_force: { limit: 7 } } }));
      await until(() => current.rules.brute_force.limit === 7);
      await new Promise((r) => setTimeout(r, 30));
      writeFileSync(path, JSON.stringify({ rules: { brute_force: { limit: 'x' } } }));
      await until(() => errors.length === 1);
      expect(errors[0]?.problems[0]).toMatch(/^rules\.brute_force\.limit/);
      expect(current.rules.brute_force.limit).toBe(7);
    } finally {
      stop();
    }
  });
});

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('parsePolicy limits and keys', () => {
  it('refuses a limit the windows could never reach, and inherited keys', () => {
    const result = parsePolicy({
      rules: { brute_force: { limit: 5000 }, constructor: {} },
      toString: 1,
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual(
      expect.arrayContaining([
        'rules.brute_force.limit: must be at most 1000 (use mode "monitor" to disable), got 5000',
        expect.stringMatching(/^rules\.constructor: unknown rule; valid rules are brute_force, /),
        expect.stringMatching(
          /^toString: unknown key; valid keys are rules, allowlist, denylist, /,
        ),
      ]),
    );
  });
});
