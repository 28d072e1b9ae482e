export {
  AccountService,
  type AccountServiceOptions,
  type LoginInput,
  type PublicUser,
  type SignupInput,
  toPublicUser,
} from './account-service.ts';
export { CommonPasswordList } from './common-passwords.ts';
export { HashQueue, type HashQueueOptions } from './hash-queue.ts';
export {
  canonicalEmail,
  EMAIL_MAX_LENGTH,
  emailProblem,
  normalizeEmail,
} from './normalize-email.ts';
export {
  type Argon2Params,
  DEFAULT_ARGON2_PARAMS,
  PasswordHasher,
  type PasswordHasherOptions,
  type VerifyResult,
} from './password-hasher.ts';
export {
  NAME_MAX_LENGTH,
  normalizeName,
  normalizePassword,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  PasswordPolicy,
} from './password-policy.ts';
export { type Role, UserRepository } from './user-repository.ts';
