import { UnauthenticatedError } from '../../errors.ts';

/** Extracts the token from `Authorization: Bearer <token>`; throws UnauthenticatedError. */
export function bearerTokenOf(header: string | undefined): string {
  if (!header) throw new UnauthenticatedError('Missing Authorization header (Bearer token)');
  const match = /^Bearer[ ]+([A-Za-z0-9._~+/=-]{1,4096})\s*$/i.exec(header);
  if (!match?.[1]) throw new UnauthenticatedError('Authorization header must be "Bearer <token>"');
  return match[1];
}
