import { type Static, Type } from '@sinclair/typebox';

/** Error body of every non-2xx answer. */
export const ErrorBody = Type.Object({
  error: Type.String({ description: 'Human readable message' }),
  code: Type.String({ description: 'Stable machine code' }),
});

const RETRY_AFTER = {
  'retry-after': { type: 'integer', description: 'Seconds to wait before retrying' },
};

/** A 429: refused by attack protection (`code` says which rule); always with `Retry-After`. */
export const TooManyRequestsBody = Type.Object(ErrorBody.properties, {
  description:
    'Refused by attack protection: RATE_LIMITED, IP_BLOCKED or ACCOUNT_THROTTLED (see `code`)',
  headers: RETRY_AFTER,
});

/** A 503: too many password hashes queued (SERVICE_BUSY); always with `Retry-After`. */
export const ServiceBusyBody = Type.Object(ErrorBody.properties, {
  description: 'Password hashing is saturated (SERVICE_BUSY); retry after `Retry-After`',
  headers: RETRY_AFTER,
});

/** A user as the API shows it. */
export const PublicUserSchema = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Type.String(),
  role: Type.Union([Type.Literal('user'), Type.Literal('admin')]),
  createdAt: Type.String({ format: 'date-time' }),
});

/** Tokens plus the user, answered by signup, login and refresh. */
export const SessionBody = Type.Object({
  user: PublicUserSchema,
  accessToken: Type.String(),
  refreshToken: Type.String(),
  expiresIn: Type.Integer({ description: 'Access token lifetime in seconds' }),
});

// Bounds here are transport limits; the domain applies the real rules (code points after NFKC).
export const SignupBody = Type.Object({
  email: Type.String({ minLength: 1, maxLength: 1024 }),
  password: Type.String({
    minLength: 1,
    maxLength: 1024,
    description:
      '8 to 128 characters (code points after NFKC), no composition rules, never truncated. ' +
      'Refused with 400 WEAK_PASSWORD, and the reason in plain words, when it is easy to guess: ' +
      'common passwords and their variants, keyboard patterns, dates, or the e-mail and name of the account.',
  }),
  name: Type.String({ minLength: 1, maxLength: 1024 }),
});
export type SignupBody = Static<typeof SignupBody>;

export const LoginBody = Type.Object({
  email: Type.String({ minLength: 1, maxLength: 1024 }),
  password: Type.String({ minLength: 1, maxLength: 1024 }),
});
export type LoginBody = Static<typeof LoginBody>;

export const RefreshBody = Type.Object({
  refreshToken: Type.String({ minLength: 1, maxLength: 512 }),
});
export type RefreshBody = Static<typeof RefreshBody>;
