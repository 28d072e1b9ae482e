import { ValidationError, WeakPasswordError } from '../errors.ts';
import { CommonPasswordList } from './common-passwords.ts';

/** Shortest accepted password, in code points after NFKC. */
export const PASSWORD_MIN_LENGTH = 8;
/** Longest accepted password, in code points after NFKC; longer ones are refused, never cut. */
export const PASSWORD_MAX_LENGTH = 128;
/** Longest accepted display name, in code points after trimming. */
export const NAME_MAX_LENGTH = 100;

/** The form of a password that is hashed and verified: Unicode NFKC, nothing else. */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

// Control characters (NUL breaks PostgreSQL text) and bidi overrides (which disguise a
// name in admin views). Emoji joiners and other format characters stay allowed.
const FORBIDDEN_NAME_CHARACTERS = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/u;

/**
 * Trims a display name. Throws ValidationError('name') unless it is 1–100 code points
 * without control or bidi-override characters.
 */
export function normalizeName(name: string): string {
  const trimmed = name.trim();
  const length = [...trimmed].length;
  if (length < 1 || length > NAME_MAX_LENGTH) {
    throw new ValidationError('name', `Name must be 1 to ${NAME_MAX_LENGTH} characters`);
  }
  if (FORBIDDEN_NAME_CHARACTERS.test(trimmed)) {
    throw new ValidationError('name', 'Name must not contain control or text-direction characters');
  }
  return trimmed;
}

/**
 * Password rules for new passwords: 8–128 code points after NFKC, not on the common list.
 * No composition rules. Stateless apart from the loaded list; share one instance.
 */
export class PasswordPolicy {
  readonly #common: CommonPasswordList;

  constructor(common: CommonPasswordList = new CommonPasswordList()) {
    this.#common = common;
  }

  /**
   * Returns the NFKC password to hash. Throws ValidationError('password') for a bad length
   * and WeakPasswordError (with the reason) for a common password.
   */
  check(password: string): string {
    const normalized = normalizePassword(password);
    const length = [...normalized].length;
    if (length < PASSWORD_MIN_LENGTH) {
      throw new ValidationError(
        'password',
        `Password must be at least ${PASSWORD_MIN_LENGTH} characters`,
      );
    }
    if (length > PASSWORD_MAX_LENGTH) {
      throw new ValidationError(
        'password',
        `Password must be at most ${PASSWORD_MAX_LENGTH} characters`,
      );
    }
    if (this.#common.has(normalized)) {
      throw new WeakPasswordError(
        'This password is among the most common passwords; choose another',
      );
    }
    return normalized;
  }
}
