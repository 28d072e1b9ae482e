import { randomUUID } from 'node:crypto';
import type { UserRow } from '../db/index.ts';
import { InvalidCredentialsError } from '../errors.ts';
import { canonicalEmail, normalizeEmail, validEmail } from './normalize-email.ts';
import type { PasswordHasher } from './password-hasher.ts';
import { normalizeName, normalizePassword, type PasswordPolicy } from './password-policy.ts';
import type { Role, UserRepository } from './user-repository.ts';

/** What the API shows of a user. `createdAt` is an ISO 8601 string. */
export interface PublicUser {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly role: Role;
  readonly createdAt: string;
}

/** Signup input as submitted; normalised and validated by the service. */
export interface SignupInput {
  readonly email: string;
  readonly password: string;
  readonly name: string;
}

/** Login input as submitted. */
export interface LoginInput {
  readonly email: string;
  readonly password: string;
  /** `email` already canonicalised (see `canonicalEmail`) by the caller: not done twice. */
  readonly canonicalEmail?: string;
}

/** Dependencies of {@link AccountService}. */
export interface AccountServiceOptions {
  readonly users: UserRepository;
  readonly hasher: PasswordHasher;
  readonly policy: PasswordPolicy;
  /** Epoch milliseconds; default Date.now. */
  readonly clock?: () => number;
  /** New user ids; default crypto.randomUUID. */
  readonly generateId?: () => string;
  /** Told when re-hashing a legacy hash after a good login fails; the login still succeeds. */
  readonly onRehashError?: (error: unknown, userId: string) => void;
}

/** Maps a stored row to the public view (never the hash). */
export function toPublicUser(row: UserRow): PublicUser {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

/**
 * Signup, login and account lookups. Unknown email and wrong password are indistinguishable:
 * both pay one argon2id verify and throw the same InvalidCredentialsError.
 */
export class AccountService {
  readonly #users: UserRepository;
  readonly #hasher: PasswordHasher;
  readonly #policy: PasswordPolicy;
  readonly #clock: () => number;
  readonly #generateId: () => string;
  readonly #onRehashError: (error: unknown, userId: string) => void;

  constructor(options: AccountServiceOptions) {
    this.#users = options.users;
    this.#hasher = options.hasher;
    this.#policy = options.policy;
    this.#clock = options.clock ?? Date.now;
    this.#generateId = options.generateId ?? randomUUID;
    this.#onRehashError = options.onRehashError ?? (() => {});
  }

  /**
   * Creates an account with role `user`. Throws ValidationError (email, name, password),
   * WeakPasswordError, EmailTakenError, or ServiceBusyError when hashing is saturated.
   */
  async signup(input: SignupInput): Promise<PublicUser> {
    const email = normalizeEmail(input.email);
    const name = normalizeName(input.name);
    const password = this.#policy.check(input.password, { email, name });
    const passwordHash = await this.#hasher.hash(password);
    const now = this.#clock();
    const row = await this.#users.insert({
      id: this.#generateId(),
      email,
      name,
      password_hash: passwordHash,
      role: 'user',
      created_at: now,
      updated_at: now,
    });
    return toPublicUser(row);
  }

  /**
   * Checks credentials and re-hashes legacy or weaker hashes to argon2id on success.
   * Throws InvalidCredentialsError (unknown email or wrong password alike), ValidationError
   * for a malformed email, ServiceBusyError when hashing is saturated.
   */
  async login(input: LoginInput): Promise<PublicUser> {
    const email = validEmail(input.canonicalEmail ?? canonicalEmail(input.email));
    const password = normalizePassword(input.password);
    const row = await this.#users.findByEmail(email);
    if (!row) {
      await this.#hasher.dummyVerify(password);
      throw new InvalidCredentialsError();
    }
    let result = await this.#hasher.verify(row.password_hash, password);
    if (!result.ok && result.needsRehash && password !== input.password) {
      // Legacy bcrypt hashes were made from the password as typed, before NFKC existed here.
      result = await this.#hasher.verify(row.password_hash, input.password);
    }
    if (!result.ok) throw new InvalidCredentialsError();
    if (result.needsRehash) await this.#rehash(row.id, password);
    return toPublicUser(row);
  }

  /** The user with this id, or null (e.g. deleted since the token was issued). */
  async getUser(id: string): Promise<PublicUser | null> {
    const row = await this.#users.findById(id);
    return row ? toPublicUser(row) : null;
  }

  /** Sets the role of the account with this email (create-admin); null when none exists. */
  async setRole(email: string, role: Role): Promise<PublicUser | null> {
    const row = await this.#users.setRoleByEmail(normalizeEmail(email), role, this.#clock());
    return row ? toPublicUser(row) : null;
  }

  /** Deletes an account (admin); false when there is none. Revoke its sessions first. */
  deleteUser(id: string): Promise<boolean> {
    return this.#users.deleteById(id);
  }

  async #rehash(userId: string, password: string): Promise<void> {
    try {
      const upgraded = await this.#hasher.hash(password);
      await this.#users.updatePasswordHash(userId, upgraded, this.#clock());
    } catch (error) {
      // The password was right; the next login retries the upgrade.
      this.#onRehashError(error, userId);
    }
  }
}
