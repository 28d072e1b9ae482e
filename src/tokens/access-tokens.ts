import { randomUUID } from 'node:crypto';
import {
  type CryptoKey,
  calculateJwkThumbprint,
  errors,
  exportJWK,
  importJWK,
  importPKCS8,
  type JSONWebKeySet,
  type JWK,
  jwtVerify,
  SignJWT,
} from 'jose';
import type { UsersTable } from '../db/index.ts';
import { UnauthenticatedError } from '../errors.ts';

/** Signing key for access tokens: an HS256 secret, or an EdDSA (Ed25519) / ES256 PKCS8 PEM. */
export type AccessTokenKey =
  | { readonly alg: 'HS256'; readonly secret: string }
  | { readonly alg: 'EdDSA' | 'ES256'; readonly privateKeyPem: string; readonly kid?: string };

/** Options for {@link AccessTokens.create}. */
export interface AccessTokenOptions {
  readonly key: AccessTokenKey;
  /** `iss` claim set and required. */
  readonly issuer: string;
  /** `aud` claim set and required. */
  readonly audience: string;
  /** Lifetime in seconds; default 900 (15 minutes). */
  readonly ttlSeconds?: number;
  /** Epoch milliseconds; default Date.now. */
  readonly clock?: () => number;
}

/** Claims of a verified access token; times are epoch seconds. */
export interface AccessClaims {
  readonly sub: string;
  readonly role: UsersTable['role'];
  readonly typ: 'access';
  readonly iss: string;
  readonly aud: string;
  readonly iat: number;
  readonly nbf: number;
  readonly exp: number;
  readonly jti: string;
}

/** A freshly signed access token and its lifetime in seconds. */
export interface SignedAccessToken {
  readonly token: string;
  readonly expiresIn: number;
}

/** Minimum HS256 secret length in characters. */
export const HS256_MIN_SECRET_LENGTH = 32;
/** Default access token lifetime in seconds (15 minutes). */
export const DEFAULT_ACCESS_TTL_SECONDS = 15 * 60;

const HEADER_TYP = 'at+jwt';
const ROLES: ReadonlySet<string> = new Set<UsersTable['role']>(['user', 'admin']);

interface KeyMaterial {
  readonly signKey: CryptoKey | Uint8Array;
  readonly verifyKey: CryptoKey | Uint8Array;
  readonly kid: string | undefined;
  readonly publicJwk: JWK | null;
}

/**
 * Signs and verifies access JWTs (header `typ: at+jwt`, claim `typ: access`). Verification
 * pins the algorithm and checks iss, aud, exp and nbf; any failure is UnauthenticatedError.
 */
export class AccessTokens {
  readonly #alg: AccessTokenKey['alg'];
  readonly #keys: KeyMaterial;
  readonly #issuer: string;
  readonly #audience: string;
  readonly #ttlSeconds: number;
  readonly #clock: () => number;

  private constructor(options: AccessTokenOptions, keys: KeyMaterial) {
    this.#alg = options.key.alg;
    this.#keys = keys;
    this.#issuer = options.issuer;
    this.#audience = options.audience;
    this.#ttlSeconds = options.ttlSeconds ?? DEFAULT_ACCESS_TTL_SECONDS;
    this.#clock = options.clock ?? Date.now;
  }

  /** Imports the key (async). Throws on a short secret or an unreadable/mismatched PEM. */
  static async create(options: AccessTokenOptions): Promise<AccessTokens> {
    return new AccessTokens(options, await importKeys(options.key));
  }

  /** The signing algorithm, as in the JWT header. */
  get alg(): AccessTokenKey['alg'] {
    return this.#alg;
  }

  /** Signs an access token for `sub` with `role`; lifetime `ttlSeconds`. */
  async sign(subject: {
    readonly sub: string;
    readonly role: UsersTable['role'];
  }): Promise<SignedAccessToken> {
    const now = Math.floor(this.#clock() / 1000);
    const token = await new SignJWT({ role: subject.role, typ: 'access' })
      .setProtectedHeader({ alg: this.#alg, typ: HEADER_TYP, kid: this.#keys.kid })
      .setSubject(subject.sub)
      .setIssuer(this.#issuer)
      .setAudience(this.#audience)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + this.#ttlSeconds)
      .setJti(randomUUID())
      .sign(this.#keys.signKey);
    return { token, expiresIn: this.#ttlSeconds };
  }

  /** Verifies a token and returns its claims. Throws UnauthenticatedError on any failure. */
  async verify(token: string): Promise<AccessClaims> {
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, this.#keys.verifyKey, {
        algorithms: [this.#alg],
        issuer: this.#issuer,
        audience: this.#audience,
        typ: HEADER_TYP,
        currentDate: new Date(this.#clock()),
        requiredClaims: ['sub', 'iat', 'nbf', 'exp', 'jti'],
      }));
    } catch (error) {
      // Only a validly signed token reaches the exp check, so saying "expired" leaks nothing.
      // jose errors are dropped, not chained: some carry the decoded payload.
      if (error instanceof errors.JWTExpired)
        throw new UnauthenticatedError('Access token expired');
      throw new UnauthenticatedError('Invalid access token');
    }
    return toClaims(payload);
  }

  /** Public keys for `/.well-known/jwks.json`; null for HS256 (nothing public to publish). */
  getJwks(): JSONWebKeySet | null {
    return this.#keys.publicJwk ? { keys: [this.#keys.publicJwk] } : null;
  }
}

function toClaims(payload: Record<string, unknown>): AccessClaims {
  const { sub, role, typ, iss, aud, iat, nbf, exp, jti } = payload;
  if (
    typ !== 'access' ||
    typeof sub !== 'string' ||
    typeof role !== 'string' ||
    !ROLES.has(role) ||
    typeof iss !== 'string' ||
    typeof aud !== 'string' ||
    typeof iat !== 'number' ||
    typeof nbf !== 'number' ||
    typeof exp !== 'number' ||
    typeof jti !== 'string'
  ) {
    throw new UnauthenticatedError('Invalid access token');
  }
  return { sub, role: role as UsersTable['role'], typ, iss, aud, iat, nbf, exp, jti };
}

async function importKeys(key: AccessTokenKey): Promise<KeyMaterial> {
  if (key.alg === 'HS256') {
    if (key.secret.length < HS256_MIN_SECRET_LENGTH) {
      throw new Error(`HS256 secret must be at least ${HS256_MIN_SECRET_LENGTH} characters`);
    }
    // Imported once: handing jose raw bytes makes it import the key again on every call.
    const secret = await crypto.subtle.importKey(
      'raw',
      new TextEncoder().encode(key.secret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign', 'verify'],
    );
    return { signKey: secret, verifyKey: secret, kid: undefined, publicJwk: null };
  }
  const privateKey = await importPKCS8(key.privateKeyPem, key.alg, { extractable: true });
  const { kty, crv, x, y } = await exportJWK(privateKey);
  const bare: JWK = y === undefined ? { kty, crv, x } : { kty, crv, x, y };
  const kid = key.kid ?? (await calculateJwkThumbprint(bare));
  const publicJwk: JWK = { ...bare, kid, alg: key.alg, use: 'sig' };
  const verifyKey = await importJWK(bare, key.alg);
  if (verifyKey instanceof Uint8Array) throw new Error('expected an asymmetric public key');
  return { signKey: privateKey, verifyKey, kid, publicJwk };
}
