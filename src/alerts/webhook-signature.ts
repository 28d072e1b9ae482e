import { createHmac, timingSafeEqual } from 'node:crypto';

/** Name of the signature header. */
export const SIGNATURE_HEADER = 'X-Flux-Signature';

/** How old a signed timestamp a receiver accepts, in seconds. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/**
 * The `X-Flux-Signature` value for `rawBody` sent at `unixSeconds`:
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` keyed with `secret`.
 */
export function signWebhook(secret: string, rawBody: string, unixSeconds: number): string {
  const t = Math.floor(unixSeconds);
  const v1 = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest('hex');
  return `t=${t},v1=${v1}`;
}

/**
 * The receiver's check (the README shows the same steps): a well-formed header, a timestamp
 * at most 300 s from `nowSeconds`, and an HMAC equal in constant time.
 */
export function isValidWebhookSignature(
  secret: string,
  header: string | undefined,
  rawBody: string,
  nowSeconds: number,
): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (match === null) return false;
  const t = Number(match[1]);
  if (Math.abs(nowSeconds - t) > SIGNATURE_TOLERANCE_SECONDS) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest();
  return timingSafeEqual(expected, Buffer.from(match[2] ?? '', 'hex'));
}
