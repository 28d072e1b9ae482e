import { randomInt } from 'node:crypto';
import { type Algorithm, hashSync, type Version } from '@node-rs/argon2';
import {
  DEFAULT_ARGON2_PARAMS,
  DEFAULT_MAX_ANALYSED_CODE_POINTS,
  PASSWORD_MAX_LENGTH,
  PasswordPolicy,
  ZxcvbnStrengthEstimator,
} from '../src/accounts/index.ts';
import { envNumber } from './lib/settings.ts';
import { fmt, percentile } from './lib/stats.ts';

/** Highest acceptable estimate time for a 128-character password, as a fraction of one hash. */
export const STRENGTH_RATIO_TARGET = 0.25;

// @node-rs/argon2 declares its enums as ambient const enums; isolated modules cannot read them.
const ARGON2ID = 2 as Algorithm;
const VERSION_0X13 = 1 as Version;

const PRINTABLE =
  'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!@#$%^&*()-_=+[]{};:,.<>/?|~';
// Characters the l33t matcher can read as letters: the most variants, the slowest estimate.
const L33T = '4@8({[<6|)3#69&1!7$5+%2>/0';
const WORDS = ['correct', 'horse', 'battery', 'staple', 'violet', 'canyon', 'harbour', 'tulip'];

function pick(alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

function passphrase(length: number): string {
  let out = '';
  while (out.length < length) out += `${WORDS[randomInt(WORDS.length)]} `;
  return out.slice(0, length);
}

/** Kinds of 128-character password: what a manager generates, a worst case, a long phrase. */
const KINDS: Readonly<Record<string, (length: number) => string>> = {
  random: (n) => pick(PRINTABLE, n),
  'l33t-dense': (n) => pick(L33T, n),
  passphrase: passphrase,
};

function cpuMs(work: () => void): number {
  const before = process.cpuUsage();
  work();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

/**
 * Signup's strength check (PasswordPolicy over the service's zxcvbn estimator, owner words
 * included) on 128-character passwords against one argon2id hash with the service's parameters,
 * both on this thread, in interleaved rounds; CPU time per operation, medians compared.
 */
export async function runPasswordStrengthBench(): Promise<string[]> {
  const rounds = Math.round(envNumber('BENCH_STRENGTH_ROUNDS', 8));
  const perRound = Math.round(envNumber('BENCH_STRENGTH_PASSWORDS', 6));
  const loadStart = performance.now();
  const estimator = new ZxcvbnStrengthEstimator();
  const loadMs = performance.now() - loadStart;
  const policy = new PasswordPolicy({ estimator });
  const owner = { email: 'bench.user@example.com', name: 'Bench User' };
  const argon2Options = {
    algorithm: ARGON2ID,
    version: VERSION_0X13,
    memoryCost: DEFAULT_ARGON2_PARAMS.memoryCostKiB,
    timeCost: DEFAULT_ARGON2_PARAMS.timeCost,
    parallelism: DEFAULT_ARGON2_PARAMS.parallelism,
  };
  const hashMs: number[] = [];
  const estimateMs = new Map<string, number[]>(Object.keys(KINDS).map((kind) => [kind, []]));
  // Warm-up: JIT for both sides, first allocations.
  hashSync(pick(PRINTABLE, 128), argon2Options);
  for (const make of Object.values(KINDS)) checkQuietly(policy, make(PASSWORD_MAX_LENGTH), owner);
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < 3; i++) {
      const password = pick(PRINTABLE, PASSWORD_MAX_LENGTH);
      hashMs.push(cpuMs(() => hashSync(password, argon2Options)));
    }
    for (const [kind, make] of Object.entries(KINDS)) {
      const samples = estimateMs.get(kind) ?? [];
      for (let i = 0; i < perRound; i++) {
        const password = make(PASSWORD_MAX_LENGTH);
        samples.push(cpuMs(() => checkQuietly(policy, password, owner)));
      }
    }
  }
  const hash = percentile(hashMs, 50);
  const perKind = [...estimateMs].map(([kind, samples]) => ({
    kind,
    p50: percentile(samples, 50),
    max: Math.max(...samples),
  }));
  const worst = perKind.reduce((a, b) => (b.p50 > a.p50 ? b : a));
  const ratio = worst.p50 / hash;
  return [
    `password strength estimate, 128-character passwords vs one argon2id hash: ${fmt(ratio, 2)}x (target <= ${STRENGTH_RATIO_TARGET}x) ${ratio <= STRENGTH_RATIO_TARGET ? 'OK' : 'MISSED'}`,
    `  argon2id hash (m=${DEFAULT_ARGON2_PARAMS.memoryCostKiB} KiB, t=${DEFAULT_ARGON2_PARAMS.timeCost}, p=${DEFAULT_ARGON2_PARAMS.parallelism}): p50 ${fmt(hash, 2)} ms CPU over ${hashMs.length} hashes`,
    ...perKind.map(
      (k) =>
        `  estimate, ${k.kind.padEnd(10)}: p50 ${fmt(k.p50, 2)} ms CPU (${fmt(k.p50 / hash, 2)}x), max ${fmt(k.max, 2)} ms${k === worst ? '  <- the ratio above' : ''}`,
    ),
    `  first ${DEFAULT_MAX_ANALYSED_CODE_POINTS} code points scored, the whole password hashed; dictionaries loaded once in ${fmt(loadMs, 0)} ms`,
  ];
}

// The bench times the check, not its verdict: a refused password costs the same estimate.
function checkQuietly(
  policy: PasswordPolicy,
  password: string,
  owner: { email: string; name: string },
): void {
  try {
    policy.check(password, owner);
  } catch {
    // weak: still estimated in full
  }
}
