/**
 * The one scrubber: what counts as sensitive and how it is removed, for everything that leaves
 * the process (log lines, error reports, traces, operator messages). Logger, CLI and Sentry
 * hooks all call these functions; nothing else decides what is secret.
 */

/** What a removed value is replaced with. */
export const REDACTED = '[redacted]';

/**
 * Keys whose values are never sent or logged: passwords, tokens (access, refresh, any
 * `*token*`), secrets, keys, `Authorization`, cookies, sessions, request bodies and query strings.
 */
const SENSITIVE_KEY =
  /token|secret|passw(?:or)?d|pwd|key|authori[sz]ation|cookie|session|credential|body|query/i;

/** Headers removed wherever a header map appears. */
export const SENSITIVE_HEADERS: readonly string[] = Object.freeze([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
]);

/**
 * Paths pino censors before a log line is serialised (pino cannot match keys by pattern; the
 * serializers and `scrubLogObject` below cover the rest).
 */
export const LOG_REDACT_PATHS: readonly string[] = Object.freeze([
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'password',
  '*.password',
  'token',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  '*.secret',
  '*.authorization',
  '*.cookie',
]);

// `//user:password@host` in connection strings and DSNs.
const URL_CREDENTIALS = /(\/\/)[^/\s@]*@/g;
// `password=…`, `token: …`, `"secret":"…"`, `api_key=…` inside free text.
const KEY_VALUE =
  /([\w.-]*(?:token|secret|passw(?:or)?d|pwd|key|authori[sz]ation|cookie|session|credential)[\w.-]*"?\s*[=:]\s*"?)(?!\[redacted\])([^\s"'&,;)}\]]+)/gi;
// The same inside JSON text: `"password":"two words"`.
const QUOTED_KEY_VALUE =
  /("[^"]*(?:token|secret|passw(?:or)?d|pwd|key|authori[sz]ation|cookie|session|credential)[^"]*"\s*:\s*")((?:[^"\\]|\\.)*)"/gi;
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;
// Compact JWS/JWT: three base64url parts, the first a JSON header (`eyJ`).
const JWT = /\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;
// Opaque tokens (a refresh token's random part is 43 base64url characters; its 22-character tag
// after the dot stays, and is worthless alone). UUIDs (36) and trace ids (32) pass.
const OPAQUE_TOKEN = /(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{40,}(?![A-Za-z0-9_-])/g;
// A path or URL followed by a query string: everything from `?` to the next space or quote.
const QUERY_STRING = /((?:[a-z][a-z0-9+.-]*:\/\/[^\s?#"'<>]*|\/[^\s?#"'<>]*))\?[^\s#"'<>]*/gi;
// The top-level label starts with a letter: `flux-auth@0.1.0` (a release) is not an address.
const EMAIL =
  /([^\s@"'<>(),;:[\]\\/=])[^\s@"'<>(),;:[\]\\/=]*@([^\s@"'<>(),;:[\]\\/]*\.\p{L}[^\s@"'<>(),;:[\]\\/.]*)/gu;
// Cheap pre-check: most strings (ids, names, numbers) hold none of these characters.
const MAYBE_SENSITIVE = /[@?=:]|eyJ|[A-Za-z0-9_-]{40}|bearer|basic/i;

/** Masks e-mail addresses: `alice@example.com` becomes `a***@example.com`. */
export function maskEmails(text: string): string {
  return text.replace(EMAIL, '$1***@$2');
}

/** Hides credentials in URLs: `postgres://u:p@db/x` becomes `postgres://***@db/x`. */
export function redactUrlCredentials(text: string): string {
  return text.replace(URL_CREDENTIALS, '$1***@');
}

/** Drops the query string (and fragment) of a URL or path. */
export function stripQueryString(url: string): string {
  const cut = url.search(/[?#]/);
  return cut === -1 ? url : url.slice(0, cut);
}

/**
 * Scrubs free text (a message, an exception value, a URL): credentials in URLs, query strings,
 * `key=value` secrets, bearer tokens, JWTs, long opaque tokens; e-mails are masked.
 */
export function scrubString(text: string): string {
  if (!MAYBE_SENSITIVE.test(text)) return text;
  return maskEmails(
    redactUrlCredentials(text)
      .replace(QUERY_STRING, '$1')
      .replace(BEARER, `$1 ${REDACTED}`)
      .replace(JWT, REDACTED)
      .replace(QUOTED_KEY_VALUE, `$1${REDACTED}"`)
      .replace(KEY_VALUE, `$1${REDACTED}`)
      .replace(OPAQUE_TOKEN, REDACTED),
  );
}

/** True when a value under this key must never leave the process (see `SENSITIVE_KEY`). */
export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEY.test(key);
}

/**
 * Deep copy of `value` with sensitive keys replaced by `[redacted]` and every string scrubbed.
 * Only plain objects and arrays are walked (to `maxDepth`); other objects become `[object]`.
 */
export function scrubValue(value: unknown, maxDepth = 8): unknown {
  if (typeof value === 'string') return scrubString(value);
  if (typeof value !== 'object' || value === null) return value;
  if (maxDepth <= 0) return '[depth]';
  if (Array.isArray(value)) return value.map((item) => scrubValue(item, maxDepth - 1));
  if (value instanceof Error) {
    return { name: value.name, message: scrubString(value.message) };
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return '[object]';
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = isSensitiveKey(key) ? REDACTED : scrubValue(item, maxDepth - 1);
  }
  return out;
}

/** A header map without the sensitive headers, the rest scrubbed. */
export function scrubHeaders(
  headers: Readonly<Record<string, unknown>>,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (SENSITIVE_HEADERS.includes(lower) || isSensitiveKey(lower)) continue;
    if (typeof value === 'string') out[name] = scrubString(value);
    else if (Array.isArray(value)) out[name] = value.map((v) => scrubString(String(v)));
  }
  return out;
}
