import { ValidationError } from '../errors.ts';

/** Longest accepted email, in code points after normalisation (RFC 5321 path limit). */
export const EMAIL_MAX_LENGTH = 254;

// Deliberately permissive: one `@`, something on each side, no whitespace or control chars.
const EMAIL_SHAPE = /^[^\s@\p{Cc}]+@[^\s@\p{Cc}]+$/u;

/**
 * Canonical spelling of an email without validating it: trim, Unicode NFKC, lower case.
 * Every spelling of one address maps to one account and one detection counter.
 */
export function canonicalEmail(input: string): string {
  return input.trim().normalize('NFKC').toLowerCase();
}

/**
 * Canonical form of an email (see `canonicalEmail`), validated. Throws ValidationError('email')
 * when too long or not `local@domain`.
 */
export function normalizeEmail(input: string): string {
  const email = canonicalEmail(input);
  if ([...email].length > EMAIL_MAX_LENGTH) {
    throw new ValidationError('email', `Email must be at most ${EMAIL_MAX_LENGTH} characters`);
  }
  if (!EMAIL_SHAPE.test(email)) {
    throw new ValidationError('email', 'Email must look like name@example.com');
  }
  return email;
}
