import { describe, expect, it } from 'vitest';
import { normalizeEmail } from '../../src/accounts/index.ts';
import { ValidationError } from '../../src/errors.ts';

describe('normalizeEmail', () => {
  it('trims, applies NFKC and lower-cases so every spelling is one address', () => {
    expect(normalizeEmail('  Alice@Example.COM \n')).toBe('alice@example.com');
    // Full-width letters and the full-width at sign fold to ASCII under NFKC.
    expect(normalizeEmail('ＡＬＩＣＥ＠ｅｘａｍｐｌｅ．ｃｏｍ')).toBe('alice@example.com');
  });

  it('is idempotent', () => {
    const once = normalizeEmail(' Ｂob@Example.org');
    expect(normalizeEmail(once)).toBe(once);
  });

  it('accepts 254 characters and refuses 255', () => {
    const domain = '@example.com';
    const at254 = `${'a'.repeat(254 - domain.length)}${domain}`;
    expect(normalizeEmail(at254)).toBe(at254);
    expect(() => normalizeEmail(`a${at254}`)).toThrow(ValidationError);
  });

  it.each(['', 'plain', '@example.com', 'alice@', 'a@b@c', 'al ice@example.com', 'a\u0000@b.c'])(
    'refuses %j with ValidationError on the email field',
    (input) => {
      try {
        normalizeEmail(input);
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).field).toBe('email');
      }
    },
  );
});
