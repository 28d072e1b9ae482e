/**
 * Malformed requests for the fuzz drills, generated from a seed so that a failure can be
 * replayed. Two kinds: raw bytes written to a socket (broken HTTP that no client library would
 * send) and well-formed HTTP with hostile methods, paths, headers, encodings and bodies.
 */

/** Broken HTTP, written to a TCP socket as is. */
export interface RawCase {
  readonly kind: 'raw';
  readonly name: string;
  readonly bytes: Buffer;
}

/** Valid HTTP framing, hostile content, sent with fetch. */
export interface FetchCase {
  readonly kind: 'fetch';
  readonly name: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: Buffer;
}

/** One fuzz request. */
export type FuzzCase = RawCase | FetchCase;

/** A small deterministic PRNG (mulberry32): the same seed gives the same cases. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Random = () => number;

const pick = <T>(random: Random, items: readonly T[]): T =>
  items[Math.floor(random() * items.length)] as T;

const PATHS = [
  '/api/auth/login',
  '/api/auth/signup',
  '/api/auth/refresh',
  '/api/auth/logout',
  '/api/auth/me',
  '/api/admin/events',
  '/api/admin/blocks',
  '/ready',
  '/health',
];

const HOSTILE_PATHS = [
  '/api/auth/%E0%A4%A',
  '/api/auth/login%00',
  '/api/auth/../admin/blocks',
  '/api/auth/login?email=a&email=b&__proto__[x]=1',
  '//api//auth//login',
  '/api/admin/events?type=%00&ip=zz&limit=-1&before=NaN',
  '/api/admin/events?limit=99999999999999999999&page=%FF',
  `/api/auth/${'a'.repeat(4000)}`,
  '/api/admin/ips/%2e%2e%2f%2e%2e',
  '/%C0%AE%C0%AE/etc/passwd',
  '/api/auth/login;jsessionid=1',
  '/api/auth/ログイン',
  '/*',
];

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'PROPFIND', 'SEARCH'];

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=----x',
  'application/xml',
  'application/json, text/plain',
  ';;;',
  'application/vnd.api+json',
];

/** A JSON-ish or not-at-all JSON body. */
function hostileBody(random: Random): Buffer {
  const email = pick(random, [
    'a@b.c',
    '',
    'x'.repeat(300),
    '\u0000@x.y',
    'ÅNGSTRÖM@EXAMPLE.COM',
    '"@x',
    "' OR 1=1 --",
  ]);
  const texts = [
    '{',
    '}',
    '[]',
    'null',
    '"string"',
    '12345678901234567890123456789',
    '{"email":',
    '{"email":"a@b.c","password":"x"',
    JSON.stringify({ email, password: 'p'.repeat(Math.floor(random() * 300)) }),
    JSON.stringify({ email, password: 12, name: { $ne: null } }),
    JSON.stringify({ email: [email], password: ['x'] }),
    '{"__proto__":{"isAdmin":true},"email":"a@b.c","password":"whatever pass"}',
    '{"constructor":{"prototype":{"x":1}},"refreshToken":"a"}',
    JSON.stringify({ refreshToken: 'r'.repeat(Math.floor(random() * 5000)) }),
    `${'['.repeat(5000)}${']'.repeat(5000)}`,
    `{"a":${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}}`,
    '{"email":"a@b.c","email":"c@d.e","password":"dup keys pass"}',
    '\uFEFF{"email":"a@b.c","password":"bom pass 123"}',
    'email=a%40b.c&password=x',
  ];
  if (random() < 0.15) {
    // Random bytes, including invalid UTF-8 and NULs.
    return Buffer.from(Array.from({ length: Math.floor(random() * 512) }, () => random() * 256));
  }
  if (random() < 0.05) return Buffer.alloc(17 * 1024, 'x');
  return Buffer.from(pick(random, texts), 'utf8');
}

function hostileHeaders(random: Random, body: Buffer | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = pick(random, CONTENT_TYPES);
  if (random() < 0.3) {
    headers.authorization = pick(random, [
      'Bearer ',
      'Bearer a.b.c',
      'Basic Zm9vOmJhcg==',
      `Bearer ${'x'.repeat(8000)}`,
      'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.',
      'bearer\tfoo',
    ]);
  }
  if (random() < 0.2) headers.cookie = pick(random, ['a', '=;=;', 'x=%ZZ', 'a=b'.repeat(1000)]);
  if (random() < 0.2) {
    headers['x-forwarded-for'] = pick(random, ['1.2.3.4, ::1, zz', '', '999.1.1.1', 'unknown']);
  }
  if (random() < 0.2) headers['user-agent'] = pick(random, ['', 'sqlmap/1.0', 'x'.repeat(7000)]);
  if (random() < 0.1) headers['content-encoding'] = pick(random, ['gzip', 'br', 'deflate', 'zz']);
  if (random() < 0.1) headers['accept-encoding'] = pick(random, ['*;q=x', 'gzip;q=2', 'zz']);
  if (random() < 0.1) headers['x-request-id'] = pick(random, ['', '\u00ff\u00fe', 'r'.repeat(500)]);
  if (random() < 0.1) headers.origin = pick(random, ['null', 'http://evil.test', '::']);
  return headers;
}

function fetchCase(random: Random, index: number): FetchCase {
  const method = pick(random, METHODS);
  const path = random() < 0.3 ? pick(random, HOSTILE_PATHS) : pick(random, PATHS);
  const hasBody = method !== 'GET' && method !== 'HEAD' && random() < 0.9;
  const body = hasBody ? hostileBody(random) : undefined;
  return {
    kind: 'fetch',
    name: `fetch#${index} ${method} ${path.slice(0, 60)}`,
    method,
    path,
    headers: hostileHeaders(random, body),
    ...(body === undefined ? {} : { body }),
  };
}

/** Request heads that break HTTP/1.1 itself. Each closes the connection when done. */
function rawHead(random: Random, path: string): string {
  const json = '{"email":"a@b.c","password":"raw password 1"}';
  const heads = [
    `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: ${json.length}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n`,
    `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\n`,
    `POST ${path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nzz\r\n${json}\r\n0\r\n\r\n`,
    `POST ${path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`,
    `GET ${path} HTTP/9.9\r\nHost: x\r\n\r\n`,
    `G\u0000T ${path} HTTP/1.1\r\nHost: x\r\n\r\n`,
    `GET ${path}\r\n\r\n`,
    `GET ${path} HTTP/1.1\r\nHost: x\r\nBad Header Without Colon\r\n\r\n`,
    `GET ${path} HTTP/1.1\r\nHost: x\r\nX: a\u0000b\r\n\r\n`,
    `GET ${path} HTTP/1.1\r\nHost: x\r\n${'X-Pad: y\r\n'.repeat(3000)}\r\n`,
    `GET ${path} HTTP/1.1\r\nHost: x\r\nX-Long: ${'z'.repeat(20_000)}\r\n\r\n`,
    `GET ${path} HTTP/1.1\nHost: x\n\n`,
    `GET ${path} HTTP/1.1\r\nHost: x\r\n folded: continuation\r\n\r\n`,
    `GET http://evil.test${path} HTTP/1.1\r\nHost: x\r\n\r\n`,
    `CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: x\r\n\r\n`,
    `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${json.length}\r\n\r\n${json}GARBAGE AFTER BODY\r\n\r\n`,
    `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${'1\r\n{\r\n'.repeat(200)}0\r\n\r\n`,
    `\r\n\r\n\r\n`,
    `${'A'.repeat(70_000)}`,
    `POST ${path} HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n{}}`,
  ];
  return pick(random, heads);
}

function rawCase(random: Random, index: number): RawCase {
  const path = random() < 0.5 ? pick(random, HOSTILE_PATHS) : pick(random, PATHS);
  let bytes = Buffer.from(rawHead(random, path), 'latin1');
  if (random() < 0.1) {
    // Flip a few bytes anywhere in the request.
    bytes = Buffer.from(bytes);
    for (let i = 0; i < 3; i += 1) bytes[Math.floor(random() * bytes.length)] = random() * 256;
  }
  return { kind: 'raw', name: `raw#${index} ${bytes.subarray(0, 60).toString('latin1')}`, bytes };
}

/** The `index`-th case of the run seeded with `seed` (a third are raw, the rest fetch). */
export function fuzzCase(random: Random, index: number): FuzzCase {
  return random() < 0.33 ? rawCase(random, index) : fetchCase(random, index);
}
