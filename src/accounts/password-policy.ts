import { ValidationError, WeakPasswordError } from '../errors.ts';
import type { StrengthEstimate, StrengthEstimator, StrengthScore } from './strength-estimator.ts';

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

/** Default lowest accepted strength score (zxcvbn's 0–4 scale): "safely unguessable". */
export const DEFAULT_PASSWORD_MIN_SCORE: StrengthScore = 3;

/** Dependencies and settings of {@link PasswordPolicy}. */
export interface PasswordPolicyOptions {
  readonly estimator: StrengthEstimator;
  /** Lowest accepted score, 0–4; default 3. */
  readonly minScore?: StrengthScore;
}

/** What is known about the owner of a new password; it counts as words an attacker knows. */
export interface PasswordOwner {
  /** Normalised email; its local part is used. */
  readonly email: string;
  readonly name: string;
}

/**
 * The words of an owner an attacker would try first: the email's local part and the name,
 * whole and split into words (`alice.smith@…` gives alice.smith, alice, smith).
 */
export function ownerWords(owner: PasswordOwner): string[] {
  const at = owner.email.lastIndexOf('@');
  const local = at === -1 ? owner.email : owner.email.slice(0, at);
  const words = new Set<string>();
  for (const text of [local, owner.name]) {
    const whole = text.trim().toLowerCase();
    if (whole === '') continue;
    words.add(whole);
    for (const part of whole.split(/[^\p{L}\p{N}]+/u)) if (part.length > 1) words.add(part);
  }
  return [...words];
}

/**
 * Password rules for new passwords: 8–128 code points after NFKC, no composition rules, and a
 * strength estimate of at least `minScore` with the owner's email and name as known words.
 */
export class PasswordPolicy {
  readonly #estimator: StrengthEstimator;
  readonly #minScore: StrengthScore;

  constructor(options: PasswordPolicyOptions) {
    this.#estimator = options.estimator;
    this.#minScore = options.minScore ?? DEFAULT_PASSWORD_MIN_SCORE;
  }

  /**
   * Returns the NFKC password to hash, whole. Throws ValidationError('password') for a bad
   * length and WeakPasswordError, with the estimator's warning and advice, for a guessable one.
   */
  check(password: string, owner?: PasswordOwner): string {
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
    const estimate = this.#estimator.estimate(normalized, owner ? ownerWords(owner) : []);
    if (estimate.score < this.#minScore) throw new WeakPasswordError(weakPasswordMessage(estimate));
    return normalized;
  }
}

function weakPasswordMessage(estimate: StrengthEstimate): string {
  const reasons = [estimate.warning, ...estimate.suggestions].filter(
    (text): text is string => typeof text === 'string' && text !== '',
  );
  if (reasons.length === 0) reasons.push('Add more words or characters that are hard to guess.');
  return `This password is too easy to guess. ${reasons.join(' ')}`;
}
