import { type Static, Type } from '@sinclair/typebox';

/** Error body of every non-2xx answer. */
export const ErrorBody = Type.Object({
  error: Type.String({ description: 'Human readable message' }),
  code: Type.String({ description: 'Stable machine code' }),
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
