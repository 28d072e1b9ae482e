import ipaddr from 'ipaddr.js';

/**
 * True for a globally routed unicast address. Private, loopback, link-local, CGNAT, documentation
 * and other reserved ranges are false, and so is anything that does not parse: free GeoIP data
 * maps some of them to countries (192.168.1.1 → AU), so they are never looked up.
 */
export function isPublicAddress(ip: string): boolean {
  return publicAddressOf(ip) !== null;
}

// Dotted-quad IPv4 without leading zeros: the common case, checked without ipaddr.js.
const IPV4 =
  /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

// IANA special-purpose IPv4 ranges (RFC 6890 and successors) that are never a client's public
// address: [network, prefix length].
const SPECIAL_V4: readonly (readonly [string, number])[] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];
const SPECIAL_V4_MASKS = SPECIAL_V4.map(([network, prefix]) => {
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  return { base: (ipv4ToInt(network) ?? 0) & mask, mask };
});

function ipv4ToInt(ip: string): number | null {
  const m = IPV4.exec(ip);
  if (m === null) return null;
  return ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
}

function isSpecialV4(value: number): boolean {
  return SPECIAL_V4_MASKS.some(({ base, mask }) => (value & mask) >>> 0 === base >>> 0);
}

/**
 * The address to look up for `ip` (an IPv4-mapped IPv6 address as plain IPv4), or null when
 * it is not public (see `isPublicAddress`).
 */
export function publicAddressOf(ip: string): string | null {
  const v4 = ipv4ToInt(ip);
  if (v4 !== null) return isSpecialV4(v4) ? null : ip;
  if (!ipaddr.IPv6.isValid(ip)) return null;
  const v6 = ipaddr.IPv6.parse(ip);
  if (v6.isIPv4MappedAddress()) return publicAddressOf(v6.toIPv4Address().toString());
  // ipaddr.js calls every ordinary routed address `unicast` (2000::/3 less the special ranges).
  return v6.range() === 'unicast' ? v6.toString() : null;
}
