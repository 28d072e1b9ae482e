import { ValidationError } from '../errors.ts';

/** Longest accepted email, in code points after normalisation (RFC 5321 path limit). */
export const EMAIL_MAX_LENGTH = 254;

// Deliberately permissive: one `@`, something on each side, no whitespace or control chars.
const EMAIL_SHAPE = /^[^\s@\p{Cc}]+@[^\s@\p{Cc}]+$/u;

/**
 * Canonical form of an email: trim, Unicode NFKC, lower case, so every spelling of one
 * address is one account. Throws ValidationError('email') when too long or not `local@domain`.
 */
export function normalizeEmail(input: string): string {
  const email = input.trim().normalize('NFKC').toLowerCase();
  if ([...email].length > EMAIL_MAX_LENGTH) {
    throw new ValidationError('email', `Email must be at most ${EMAIL_MAX_LENGTH} characters`);
  }
  if (!EMAIL_SHAPE.test(email)) {
    throw new ValidationError('email', 'Email must look like name@example.com');
  }
  return email;
}
