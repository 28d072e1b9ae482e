import { describe, expect, it } from 'vitest';
import {
  maskEmails,
  REDACTED,
  redactUrlCredentials,
  scrubHeaders,
  scrubString,
  scrubValue,
  stripQueryString,
} from '../../src/monitoring/scrubber.ts';

const refreshToken = 'q9Zr-7vXk_2mN4pL8sT1wY6bC3dF5gH0jK-LmNoPqRs';
const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlLXBhcnQtb2YtdGhlLWp3dA';

describe('scrubString', () => {
  it('masks e-mail addresses, keeping the first letter and the domain', () => {
    expect(maskEmails('login by alice@example.com failed')).toBe(
      'login by a***@example.com failed',
    );
    expect(scrubString('ünïcödé@bücher.de')).toBe('ü***@bücher.de');
    // A release or package version is not an address.
    expect(scrubString('flux-auth@0.1.0 and pino@10.4.0')).toBe('flux-auth@0.1.0 and pino@10.4.0');
  });

  it('removes key=value and "key":"value" secrets, whatever the key looks like', () => {
    const text = `password=hunter2 refresh_token: ${refreshToken} x-api-key=abc {"clientSecret":"two words"}`;
    const scrubbed = scrubString(text);
    for (const secret of ['hunter2', refreshToken, 'abc', 'two words']) {
      expect(scrubbed).not.toContain(secret);
    }
    expect(scrubbed).toContain(`password=${REDACTED}`);
    expect(scrubbed).toContain(`"clientSecret":"${REDACTED}"`);
  });

  it('removes bearer tokens, JWTs and long opaque tokens, not UUIDs', () => {
    const requestId = '2b6b1a52-3b7c-4a8e-9d61-7f0d1a2b3c4d';
    const scrubbed = scrubString(`Bearer ${jwt} then ${jwt} and ${refreshToken} in ${requestId}`);
    expect(scrubbed).not.toContain(jwt);
    expect(scrubbed).not.toContain(refreshToken);
    expect(scrubbed).toContain(requestId);
  });

  it('drops query strings from URLs and paths, and credentials from connection URLs', () => {
    expect(scrubString('POST /api/auth/login?token=abc&email=x%40y.z done')).toBe(
      'POST /api/auth/login done',
    );
    expect(scrubString('http://127.0.0.1:3001/api/auth/me?secret=1')).toBe(
      'http://127.0.0.1:3001/api/auth/me',
    );
    expect(redactUrlCredentials('postgres://flux:pw@db:5432/x')).toBe('postgres://***@db:5432/x');
    expect(stripQueryString('/a/b?c=d#e')).toBe('/a/b');
  });

  it('leaves ordinary text untouched', () => {
    const text = 'request failed at Object.<anonymous> (/work/src/x.ts:12:5)';
    expect(scrubString(text)).toBe(text);
  });
});

describe('scrubValue and scrubHeaders', () => {
  it('redacts every key matching token, secret, password, key, authorization, cookie', () => {
    const scrubbed = scrubValue({
      user: { id: 'u1', email: 'bob@example.com' },
      accessToken: jwt,
      refreshToken,
      nested: [{ password: 'p', apiKey: 'k', Authorization: 'Bearer x', note: 'call bob@x.io' }],
      count: 3,
    });
    expect(scrubbed).toEqual({
      user: { id: 'u1', email: 'b***@example.com' },
      accessToken: REDACTED,
      refreshToken: REDACTED,
      nested: [
        { password: REDACTED, apiKey: REDACTED, Authorization: REDACTED, note: 'call b***@x.io' },
      ],
      count: 3,
    });
  });

  it('drops Authorization, Cookie and Set-Cookie headers', () => {
    expect(
      scrubHeaders({
        Authorization: `Bearer ${jwt}`,
        cookie: `refresh_token=${refreshToken}`,
        'set-cookie': ['a=b'],
        'user-agent': 'curl/8',
        referer: 'https://app.example.com/login?email=a@b.co',
      }),
    ).toEqual({ 'user-agent': 'curl/8', referer: 'https://app.example.com/login' });
  });
});
