import ipaddr from 'ipaddr.js';
import { toClientKey } from './client-ip.ts';

/** A checked block target: the address as the detector keys it, or why it was refused. */
export type BlockTargetResult =
  | { readonly ok: true; readonly ip: string }
  | { readonly ok: false; readonly problem: string };

/**
 * Checks what an operator asked to block or unblock (API and CLI alike): an IPv4 address in
 * dotted decimal, an IPv6 address, or an IPv6 network exactly as `blocks` lists it
 * (`2001:db8::/64` with the configured prefix). Other CIDR ranges are refused: blocks are
 * per client key; ranges belong in the policy's denylist.
 */
export function parseBlockTarget(text: string, ipv6PrefixLength: number): BlockTargetResult {
  const value = text.trim();
  if (ipaddr.IPv4.isValidFourPartDecimal(value) || ipaddr.IPv6.isValid(value)) {
    return { ok: true, ip: ipaddr.process(value).toString() };
  }
  if (ipaddr.isValidCIDR(value)) {
    const [address, bits] = ipaddr.parseCIDR(value);
    if (address.kind() === 'ipv6' && bits === ipv6PrefixLength) {
      const ip = address.toString();
      // Only the network itself: `2001:db8::1/64` would hide which /64 was meant.
      if (toClientKey(ip, ipv6PrefixLength) === `${ip}/${bits}`) return { ok: true, ip };
    }
    return {
      ok: false,
      problem: `${JSON.stringify(value)} is a range; blocks are per address (IPv6 per /${ipv6PrefixLength}). Put ranges in the policy's denylist`,
    };
  }
  return {
    ok: false,
    problem: `${JSON.stringify(value)} is not an IPv4 address (like 192.0.2.1) or an IPv6 address`,
  };
}
