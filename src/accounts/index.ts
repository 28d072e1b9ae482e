export {
  AccountService,
  type AccountServiceOptions,
  type LoginInput,
  type PublicUser,
  type SignupInput,
  toPublicUser,
} from './account-service.ts';
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
  DEFAULT_PASSWORD_MIN_SCORE,
  NAME_MAX_LENGTH,
  normalizeName,
  normalizePassword,
  ownerWords,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  type PasswordOwner,
  PasswordPolicy,
  type PasswordPolicyOptions,
} from './password-policy.ts';
export {
  DEFAULT_MAX_ANALYSED_CODE_POINTS,
  type StrengthEstimate,
  type StrengthEstimator,
  type StrengthScore,
  ZxcvbnStrengthEstimator,
  type ZxcvbnStrengthEstimatorOptions,
} from './strength-estimator.ts';
export { type Role, UserRepository } from './user-repository.ts';
