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

/** Why a canonical email (see `canonicalEmail`) is refused, or null when it is acceptable. */
export function emailProblem(email: string): string | null {
  // UTF-16 length bounds the code point count: count code points only for long strings.
  if (email.length > EMAIL_MAX_LENGTH && [...email].length > EMAIL_MAX_LENGTH) {
    return `Email must be at most ${EMAIL_MAX_LENGTH} characters`;
  }
  return EMAIL_SHAPE.test(email) ? null : 'Email must look like name@example.com';
}

/**
 * Canonical form of an email (see `canonicalEmail`), validated. Throws ValidationError('email')
 * when too long or not `local@domain` (see `emailProblem`).
 */
export function normalizeEmail(input: string): string {
  return validEmail(canonicalEmail(input));
}

/** A canonical email, validated: throws ValidationError('email') as `normalizeEmail` does. */
export function validEmail(email: string): string {
  const problem = emailProblem(email);
  if (problem !== null) throw new ValidationError('email', problem);
  return email;
}
