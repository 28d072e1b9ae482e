import ipaddr from 'ipaddr.js';

/** IPv6 clients are counted and blocked per /64 unless configured otherwise. */
export const DEFAULT_IPV6_PREFIX_LENGTH = 64;

/** The key of a request without an address (its socket was gone before it was read). */
export const UNKNOWN_CLIENT_KEY = 'unknown';

/**
 * The key an IP is counted and blocked under: IPv4 as is (IPv4-mapped IPv6 folded to
 * IPv4), IPv6 grouped to its network (`2001:db8:1:2::/64`). Unparsable input is kept as is
 * (capped); a missing address (a closed socket reports none) is `UNKNOWN_CLIENT_KEY`. Never throws.
 */
export function toClientKey(
  ip: string | undefined,
  ipv6PrefixLength = DEFAULT_IPV6_PREFIX_LENGTH,
): string {
  if (typeof ip !== 'string' || ip === '') return UNKNOWN_CLIENT_KEY;
  const address = parseIp(ip);
  if (address === null) return ip.slice(0, 64);
  if (address.kind() === 'ipv4') return address.toString();
  const v6 = address as ipaddr.IPv6;
  const parts = v6.parts.map((part, i) => {
    const bits = Math.min(16, Math.max(0, ipv6PrefixLength - i * 16));
    return bits === 16 ? part : bits === 0 ? 0 : part & (0xffff << (16 - bits)) & 0xffff;
  });
  return `${new ipaddr.IPv6(parts).toRFC5952String()}/${ipv6PrefixLength}`;
}

/** Parses an address, folding IPv4-mapped IPv6 to IPv4; null when invalid. */
export function parseIp(ip: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  try {
    return ipaddr.process(ip.trim());
  } catch {
    return null;
  }
}

/** A parsed list of CIDR ranges (bare addresses count as /32 or /128). */
export interface CidrList {
  readonly size: number;
  /** True when the address falls in one of the ranges. */
  matches(ip: string): boolean;
}

/** True when `entry` is an IP address or a CIDR range. */
export function isValidCidr(entry: string): boolean {
  return ipaddr.isValidCIDR(entry) || ipaddr.isValid(entry);
}

/** Parses the ranges once; throws on an invalid entry (validate the policy first). */
export function parseCidrList(entries: readonly string[]): CidrList {
  const ranges = entries.map((entry): [ipaddr.IPv4 | ipaddr.IPv6, number] => {
    if (ipaddr.isValidCIDR(entry)) {
      const [address, bits] = ipaddr.parseCIDR(entry);
      // An IPv4-mapped IPv6 range is matched against the folded IPv4 address.
      if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
        return [(address as ipaddr.IPv6).toIPv4Address(), Math.max(0, bits - 96)];
      }
      return [address, bits];
    }
    const address = ipaddr.process(entry);
    return [address, address.kind() === 'ipv4' ? 32 : 128];
  });
  return {
    size: ranges.length,
    matches(ip: string): boolean {
      if (ranges.length === 0) return false;
      const address = parseIp(ip);
      if (address === null) return false;
      return ranges.some((range) => range[0].kind() === address.kind() && address.match(range));
    },
  };
}

/** True when `ip` falls in one of `cidrs`. Parses on each call: prefer `parseCidrList`. */
export function matchesCidr(ip: string, cidrs: readonly string[]): boolean {
  return parseCidrList(cidrs).matches(ip);
}
