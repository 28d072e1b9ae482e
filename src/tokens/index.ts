export {
  type AccessClaims,
  type AccessTokenKey,
  type AccessTokenOptions,
  AccessTokens,
  DEFAULT_ACCESS_TTL_SECONDS,
  HS256_MIN_SECRET_LENGTH,
  type SignedAccessToken,
} from './access-tokens.ts';
export { type NewRefreshToken, RefreshTokenRepository } from './refresh-token-repository.ts';
export {
  loadRefreshTokenSeal,
  MissingSealKeyError,
  RefreshTokenSeal,
  type SealCheck,
} from './refresh-token-seal.ts';
export {
  DEFAULT_REFRESH_TTL_MS,
  hashRefreshToken,
  type IssuedRefreshToken,
  RefreshTokens,
  type RefreshTokensOptions,
  type RequestContext,
} from './refresh-tokens.ts';
export {
  type TokenPair,
  TokenService,
  type TokenServiceOptions,
  type TokenSubject,
} from './token-service.ts';
