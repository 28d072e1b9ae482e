import ipaddr from 'ipaddr.js';

/**
 * True for a globally routed unicast address. Private, loopback, link-local, CGNAT, documentation
 * and other reserved ranges are false, and so is anything that does not parse: free GeoIP data
 * maps some of them to countries (192.168.1.1 → AU), so they are never looked up.
 */
export function isPublicAddress(ip: string): boolean {
  return publicAddressOf(ip) !== null;
}

/**
 * The address to look up for `ip` (an IPv4-mapped IPv6 address as plain IPv4), or null when
 * it is not public (see `isPublicAddress`).
 */
export function publicAddressOf(ip: string): string | null {
  if (!ipaddr.isValid(ip)) return null;
  let address = ipaddr.parse(ip);
  if (address.kind() === 'ipv6') {
    const v6 = address as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) address = v6.toIPv4Address();
  }
  const range = address.range();
  // ipaddr.js calls every ordinary routed address `unicast`, IPv4 and IPv6 alike.
  if (range !== 'unicast') return null;
  // ipaddr.js 2 does not name the IPv4 documentation ranges (RFC 5737): they are never real.
  if (address.kind() === 'ipv4' && isDocumentationV4(address as ipaddr.IPv4)) return null;
  return address.toString();
}

const DOCUMENTATION_V4 = ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24'].map((cidr) =>
  ipaddr.IPv4.parseCIDR(cidr),
);

function isDocumentationV4(address: ipaddr.IPv4): boolean {
  return DOCUMENTATION_V4.some((range) => address.match(range));
}
