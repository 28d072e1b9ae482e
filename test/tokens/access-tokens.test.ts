import { generateKeyPairSync } from 'node:crypto';
import { base64url, createLocalJWKSet, jwtVerify, SignJWT, UnsecuredJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { UnauthenticatedError } from '../../src/errors.ts';
import { AccessTokens } from '../../src/tokens/index.ts';

const SECRET = 'a-test-secret-that-is-at-least-32-chars!';
const ISSUER = 'https://auth.test';
const AUDIENCE = 'flux-api';
const T0 = Date.UTC(2025, 0, 1);

function hs256(clock: () => number = () => T0, secret = SECRET) {
  return AccessTokens.create({
    key: { alg: 'HS256', secret },
    issuer: ISSUER,
    audience: AUDIENCE,
    clock,
  });
}

async function expectRefused(
  tokens: AccessTokens,
  token: string,
  message = 'Invalid access token',
) {
  const error = await tokens.verify(token).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(UnauthenticatedError);
  expect(error).toMatchObject({ status: 401, code: 'UNAUTHENTICATED', message });
  expect((error as Error).cause).toBeUndefined();
}

describe('AccessTokens (HS256)', () => {
  it('round-trips the claims with header typ at+jwt and a 15 minute lifetime', async () => {
    const tokens = await hs256();
    const { token, expiresIn } = await tokens.sign({ sub: 'user-1', role: 'admin' });
    expect(expiresIn).toBe(900);
    const claims = await tokens.verify(token);
    const iat = T0 / 1000;
    expect(claims).toEqual({
      sub: 'user-1',
      role: 'admin',
      typ: 'access',
      iss: ISSUER,
      aud: AUDIENCE,
      iat,
      nbf: iat,
      exp: iat + 900,
      jti: expect.any(String),
    });
    const header = JSON.parse(
      new TextDecoder().decode(base64url.decode(token.split('.')[0] ?? '')),
    );
    expect(header).toEqual({ alg: 'HS256', typ: 'at+jwt' });
    expect(tokens.getJwks()).toBeNull();
  });

  it('refuses alg none', async () => {
    const tokens = await hs256();
    const unsecured = new UnsecuredJWT({ role: 'admin', typ: 'access' })
      .setSubject('user-1')
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(T0 / 1000)
      .setNotBefore(T0 / 1000)
      .setExpirationTime(T0 / 1000 + 900)
      .setJti('j')
      .encode();
    await expectRefused(tokens, unsecured);
  });

  it('refuses a token signed with another key', async () => {
    const tokens = await hs256();
    const other = await hs256(() => T0, 'another-secret-that-is-at-least-32-chars');
    await expectRefused(tokens, (await other.sign({ sub: 'user-1', role: 'user' })).token);
  });

  it('refuses an edited payload', async () => {
    const tokens = await hs256();
    const [header, payload, signature] = (
      await tokens.sign({ sub: 'u', role: 'user' })
    ).token.split('.');
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload ?? '')));
    const forged = base64url.encode(JSON.stringify({ ...claims, role: 'admin' }));
    await expectRefused(tokens, `${header}.${forged}.${signature}`);
  });

  it('refuses an expired token and one not yet valid (fake clock)', async () => {
    let now = T0;
    const tokens = await hs256(() => now);
    const { token } = await tokens.sign({ sub: 'user-1', role: 'user' });
    now = T0 + 899_000;
    await expect(tokens.verify(token)).resolves.toMatchObject({ sub: 'user-1' });
    now = T0 + 900_000;
    await expectRefused(tokens, token, 'Access token expired');
    now = T0 - 60_000;
    await expectRefused(tokens, token);
  });

  it('refuses wrong issuer, wrong audience, missing typ claim and a non-access typ', async () => {
    const tokens = await hs256();
    const key = new TextEncoder().encode(SECRET);
    const build = (claims: Record<string, unknown>, iss = ISSUER, aud = AUDIENCE, typ = 'at+jwt') =>
      new SignJWT({ role: 'user', ...claims })
        .setProtectedHeader({ alg: 'HS256', typ })
        .setSubject('user-1')
        .setIssuer(iss)
        .setAudience(aud)
        .setIssuedAt(T0 / 1000)
        .setNotBefore(T0 / 1000)
        .setExpirationTime(T0 / 1000 + 900)
        .setJti('j')
        .sign(key);
    await expect(tokens.verify(await build({ typ: 'access' }))).resolves.toBeDefined();
    await expectRefused(tokens, await build({ typ: 'access' }, 'https://evil.test'));
    await expectRefused(tokens, await build({ typ: 'access' }, ISSUER, 'other-api'));
    await expectRefused(tokens, await build({}));
    await expectRefused(tokens, await build({ typ: 'refresh' }));
    await expectRefused(tokens, await build({ typ: 'access' }, ISSUER, AUDIENCE, 'JWT'));
    await expectRefused(tokens, await build({ typ: 'access', role: 'root' }));
  });

  it('refuses a refresh token and garbage presented as an access token', async () => {
    const tokens = await hs256();
    await expectRefused(tokens, base64url.encode(new Uint8Array(32).fill(7)));
    await expectRefused(tokens, '');
    await expectRefused(tokens, 'a.b.c');
  });

  it('signs exactly the standard token jose SignJWT produces, verifiable by any JOSE library', async () => {
    const tokens = await hs256();
    const { token } = await tokens.sign({ sub: 'user-7', role: 'user' });
    const [header, payload] = token.split('.');
    expect(JSON.parse(new TextDecoder().decode(base64url.decode(header ?? '')))).toEqual({
      alg: 'HS256',
      typ: 'at+jwt',
    });
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload ?? '')));
    expect(Object.keys(claims)).toEqual([
      'role',
      'typ',
      'sub',
      'iss',
      'aud',
      'iat',
      'nbf',
      'exp',
      'jti',
    ]);
    const now = T0 / 1000;
    const expected = await new SignJWT({ role: 'user', typ: 'access' })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .setSubject('user-7')
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + 900)
      .setJti(claims.jti)
      .sign(new TextEncoder().encode(SECRET));
    expect(token).toBe(expected);
    // Independent check with jose, algorithm pinned.
    const verified = await jwtVerify(token, new TextEncoder().encode(SECRET), {
      algorithms: ['HS256'],
      issuer: ISSUER,
      audience: AUDIENCE,
      typ: 'at+jwt',
      currentDate: new Date(T0),
    });
    expect(verified.payload.sub).toBe('user-7');
  });

  it('gives every HS256 token its own jti', async () => {
    const tokens = await hs256();
    const a = await tokens.verify((await tokens.sign({ sub: 'u', role: 'user' })).token);
    const b = await tokens.verify((await tokens.sign({ sub: 'u', role: 'user' })).token);
    expect(a.jti).not.toBe(b.jti);
  });

  it('refuses secrets shorter than 32 characters', async () => {
    await expect(hs256(() => T0, 'short')).rejects.toThrow(/at least 32/);
  });
});

describe('AccessTokens (EdDSA)', () => {
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();

  it('signs with Ed25519 and verifies through the published JWKS', async () => {
    const tokens = await AccessTokens.create({
      key: { alg: 'EdDSA', privateKeyPem: pem },
      issuer: ISSUER,
      audience: AUDIENCE,
      clock: () => T0,
    });
    const jwks = tokens.getJwks();
    expect(jwks?.keys).toHaveLength(1);
    const jwk = jwks?.keys[0];
    expect(jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(jwk?.kid).toEqual(expect.any(String));
    expect(jwk).not.toHaveProperty('d');

    const { token } = await tokens.sign({ sub: 'user-9', role: 'user' });
    await expect(tokens.verify(token)).resolves.toMatchObject({ sub: 'user-9' });
    // A third party verifies with nothing but the JWKS document.
    const { payload, protectedHeader } = await jwtVerify(
      token,
      createLocalJWKSet(JSON.parse(JSON.stringify(jwks))),
      { issuer: ISSUER, audience: AUDIENCE, currentDate: new Date(T0) },
    );
    expect(protectedHeader).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt', kid: jwk?.kid });
    expect(payload).toMatchObject({ sub: 'user-9', typ: 'access' });
  });

  it('refuses an HS256 token forged with the public key as the secret (alg confusion)', async () => {
    const tokens = await AccessTokens.create({
      key: { alg: 'EdDSA', privateKeyPem: pem, kid: 'k1' },
      issuer: ISSUER,
      audience: AUDIENCE,
      clock: () => T0,
    });
    const x = tokens.getJwks()?.keys[0]?.x ?? '';
    const forged = await new SignJWT({ role: 'admin', typ: 'access' })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: 'k1' })
      .setSubject('user-1')
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(T0 / 1000)
      .setNotBefore(T0 / 1000)
      .setExpirationTime(T0 / 1000 + 900)
      .setJti('j')
      .sign(new TextEncoder().encode(x.padEnd(32, 'x')));
    await expectRefused(tokens, forged);
  });

  it('also supports ES256 keys', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const tokens = await AccessTokens.create({
      key: { alg: 'ES256', privateKeyPem: ec.export({ format: 'pem', type: 'pkcs8' }).toString() },
      issuer: ISSUER,
      audience: AUDIENCE,
    });
    expect(tokens.getJwks()?.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' });
    const { token } = await tokens.sign({ sub: 'u', role: 'user' });
    await expect(tokens.verify(token)).resolves.toMatchObject({ sub: 'u' });
  });
});
