import ipaddr from 'ipaddr.js';
import type { TrustProxy } from './config.ts';

/** Parsed `TRUST_PROXY`, or the reason it cannot be used. */
export type TrustProxyResult =
  | { readonly ok: true; readonly value: TrustProxy }
  | { readonly ok: false; readonly problem: string };

const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * `TRUST_PROXY` is empty/`false` (trust nobody), a hop count (`1`), or a comma-separated list
 * of CIDRs/addresses (and proxy-addr's names loopback, linklocal, uniquelocal).
 */
export function parseTrustProxy(raw: string | undefined): TrustProxyResult {
  const value = raw?.trim() ?? '';
  if (value === '' || value.toLowerCase() === 'false') return { ok: true, value: false };
  if (value.toLowerCase() === 'true') {
    return {
      ok: false,
      problem:
        '"true" would trust any client to set X-Forwarded-For; give a hop count (e.g. 1) or the proxy CIDRs (e.g. 10.0.0.0/8).',
    };
  }
  if (/^\d+$/.test(value)) return { ok: true, value: Number(value) };
  const entries = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const bad = entries.filter((entry) => !isAddressOrCidr(entry));
  if (bad.length > 0) {
    return {
      ok: false,
      problem: `${bad.map((b) => `"${b}"`).join(', ')} is not an IP address or CIDR; expected e.g. TRUST_PROXY=10.0.0.0/8,192.168.1.10 or a hop count.`,
    };
  }
  return { ok: true, value: Object.freeze(entries) };
}

function isAddressOrCidr(entry: string): boolean {
  if (NAMED_RANGES.has(entry)) return true;
  try {
    if (entry.includes('/')) ipaddr.parseCIDR(entry);
    else ipaddr.parse(entry);
    return true;
  } catch {
    return false;
  }
}
