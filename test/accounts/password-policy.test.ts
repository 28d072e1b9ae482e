import { describe, expect, it } from 'vitest';
import {
  normalizeName,
  ownerWords,
  PASSWORD_MAX_LENGTH,
  PasswordPolicy,
  ZxcvbnStrengthEstimator,
} from '../../src/accounts/index.ts';
import { ValidationError, WeakPasswordError } from '../../src/errors.ts';
import { testPasswordPolicy, testStrengthEstimator } from '../helpers/strength.ts';

const policy = testPasswordPolicy();
/** The same rules without the strength estimate, for the length rules on patterned strings. */
const lengthOnly = new PasswordPolicy({ estimator: testStrengthEstimator(), minScore: 0 });

describe('PasswordPolicy', () => {
  it('counts code points after NFKC, not UTF-16 units', () => {
    const emoji = '🔐'.repeat(8); // 8 code points, 16 UTF-16 units
    expect(lengthOnly.check(emoji)).toBe(emoji);
    expect(() => lengthOnly.check('🔐'.repeat(7))).toThrow(ValidationError);
    // 64 emoji = 128 UTF-16 units but 64 code points: accepted.
    expect(lengthOnly.check('🦊'.repeat(64))).toHaveLength(128);
  });

  it('accepts 128 code points and refuses 129 without truncating', () => {
    const at128 = '🦊x'.repeat(PASSWORD_MAX_LENGTH / 2);
    expect([...lengthOnly.check(at128)]).toHaveLength(128);
    try {
      lengthOnly.check(`${at128}y`);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).field).toBe('password');
    }
  });

  it('returns the NFKC form, which is what gets hashed', () => {
    expect(policy.check('ｆｕｌｌｗｉｄｔｈ-pass')).toBe('fullwidth-pass');
  });

  it.each([
    'password123',
    'Password123',
    'admin123',
    'welcome123',
    'P@ssw0rd',
    'Summer2024!',
    'qwerty123!',
    'letmein123',
    'ＰＡＳＳＷＯＲＤ１２３',
  ])('refuses %j, what attackers spray first, with the reason in plain words', (weak) => {
    try {
      policy.check(weak);
      expect.unreachable(`${weak} should be refused`);
    } catch (error) {
      expect(error).toBeInstanceOf(WeakPasswordError);
      const message = (error as Error).message;
      expect(message).toMatch(/^This password is too easy to guess\. /);
      // The estimator's own sentences, not codes like "dictionary.commonPassword".
      expect(message).toMatch(/commonly used password|Add more words/);
      expect(message).not.toMatch(/\w+\.\w+[A-Z]/);
      expect(message).not.toContain(weak);
    }
  });

  it.each([
    'correct horse battery staple',
    'x7#Kq9!mZ2@vR4$wL8pT', // 20 random characters
    'G4v!pQz8#Lm2@Wr6$Tn1', // 20 random characters
  ])('accepts %j', (strong) => {
    expect(policy.check(strong)).toBe(strong);
  });

  it("counts the owner's email local part and name as known words", () => {
    expect(() => policy.check('alice2024!', { email: 'alice@example.com', name: 'Alice' })).toThrow(
      WeakPasswordError,
    );
    const owner = { email: 'zorblatt@example.com', name: 'Quenby Vrolijkheid' };
    const stranger = { email: 'bob@example.com', name: 'Bob' };
    // Strong for a stranger; weak for the owner, whose email and name an attacker knows.
    for (const password of ['zorblatt2024!', 'vrolijkheid2024!']) {
      expect(policy.check(password, stranger)).toBe(password);
      try {
        policy.check(password, owner);
        expect.unreachable(`${password} should be refused for its owner`);
      } catch (error) {
        expect(error).toBeInstanceOf(WeakPasswordError);
        expect((error as Error).message).toMatch(/personal/);
      }
    }
  });

  it('takes its minimum score from the caller', () => {
    // "Summer2024!" scores 2: refused at the default minimum of 3, accepted at 2.
    const lenient = new PasswordPolicy({ estimator: testStrengthEstimator(), minScore: 2 });
    expect(lenient.check('Summer2024!')).toBe('Summer2024!');
    expect(() => policy.check('Summer2024!')).toThrow(WeakPasswordError);
    const strict = new PasswordPolicy({ estimator: testStrengthEstimator(), minScore: 4 });
    expect(() => strict.check('Summer2024!')).toThrow(WeakPasswordError);
    const anything = new PasswordPolicy({ estimator: testStrengthEstimator(), minScore: 0 });
    expect(anything.check('password')).toBe('password');
  });

  it('scores a bounded prefix but returns the whole password for the hash', () => {
    const strongStart = `x7#Kq9!mZ2@vR4$wL8pT-pad${'a'.repeat(100)}`;
    expect([...strongStart].length).toBe(124);
    expect(policy.check(strongStart)).toBe(strongStart);
  });
});

describe('ownerWords', () => {
  it('gives the local part and the name, whole and word by word, lower-cased', () => {
    expect(ownerWords({ email: 'alice.liddell+x@example.com', name: 'Alice  Liddell' })).toEqual([
      'alice.liddell+x',
      'alice',
      'liddell',
      'alice  liddell',
    ]);
  });
});

describe('ZxcvbnStrengthEstimator', () => {
  it('analyses at most the configured number of code points', () => {
    const estimator = new ZxcvbnStrengthEstimator({ maxAnalysedCodePoints: 8 });
    // Only "password" is seen: the strong tail does not save it.
    expect(estimator.estimate('passwordx7#Kq9!mZ2@vR4$wL8pT', []).score).toBe(0);
    // Cut by code points: an emoji is never split into half a surrogate pair.
    expect(estimator.estimate('🦊'.repeat(20), []).score).toBeGreaterThanOrEqual(0);
    expect(testStrengthEstimator().estimate('passwordx7#Kq9!mZ2@vR4$wL8pT', []).score).toBe(4);
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
