import { describe, expect, it } from 'vitest';
import {
  matchesCidr,
  parseCidrList,
  toClientKey,
  UNKNOWN_CLIENT_KEY,
} from '../../src/detection/index.ts';

describe('toClientKey', () => {
  it('folds IPv4-mapped IPv6 to IPv4', () => {
    expect(toClientKey('::ffff:1.2.3.4')).toBe('1.2.3.4');
  });
  it('groups IPv6 per /64 by default, configurable', () => {
    expect(toClientKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(toClientKey('2001:db8:1:2::1')).toBe(toClientKey('2001:db8:1:2:ffff::9'));
    expect(toClientKey('2001:db8:1:3::1')).not.toBe(toClientKey('2001:db8:1:2::1'));
    expect(toClientKey('2001:db8:1:2::1', 48)).toBe('2001:db8:1::/48');
    expect(toClientKey('2001:db8:1:2::1', 128)).toBe('2001:db8:1:2::1/128');
  });
  it('keeps IPv4 and unparsable input as is', () => {
    expect(toClientKey('10.0.0.1')).toBe('10.0.0.1');
    expect(toClientKey('not-an-ip')).toBe('not-an-ip');
  });
  it('keys a missing address (a socket already closed) as unknown instead of throwing', () => {
    expect(toClientKey(undefined)).toBe(UNKNOWN_CLIENT_KEY);
    expect(toClientKey('')).toBe(UNKNOWN_CLIENT_KEY);
    expect(toClientKey(undefined, 48)).toBe(UNKNOWN_CLIENT_KEY);
  });
});

describe('CIDR lists', () => {
  const list = parseCidrList(['10.0.0.0/8', '2001:db8::/32', '192.0.2.5']);
  it('matches IPv4, mapped IPv6, IPv6 and bare addresses', () => {
    expect(list.matches('10.9.9.9')).toBe(true);
    expect(list.matches('::ffff:10.9.9.9')).toBe(true);
    expect(list.matches('2001:db8:ff::1')).toBe(true);
    expect(list.matches('192.0.2.5')).toBe(true);
    expect(list.matches('192.0.2.6')).toBe(false);
    expect(list.matches('11.0.0.1')).toBe(false);
    expect(list.matches('garbage')).toBe(false);
  });
  it('matchesCidr helper', () => {
    expect(matchesCidr('10.1.1.1', ['10.0.0.0/8'])).toBe(true);
    expect(matchesCidr('10.1.1.1', [])).toBe(false);
  });
});
