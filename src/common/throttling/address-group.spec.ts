import { addressGroup } from './address-group';

describe('addressGroup', () => {
  it('keeps an IPv4 address as it is', () => {
    expect(addressGroup('198.51.100.7')).toBe('198.51.100.7');
  });

  it('counts every IPv6 address of one /64 as that /64, however it is written', () => {
    expect(addressGroup('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(addressGroup('2001:db8:1:2:ffff:ffff:ffff:fffe')).toBe('2001:db8:1:2::/64');
    expect(addressGroup('2001:0DB8:0001:0002:0000:0000:0000:0009')).toBe('2001:db8:1:2::/64');
  });

  it('keeps neighbouring /64 networks apart', () => {
    expect(addressGroup('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(addressGroup('::1')).toBe('0:0:0:0::/64');
  });

  it('counts an IPv4-mapped IPv6 address as its IPv4 address', () => {
    expect(addressGroup('::ffff:198.51.100.7')).toBe('198.51.100.7');
  });

  it('leaves what is not an address as it came', () => {
    expect(addressGroup('undefined')).toBe('undefined');
    expect(addressGroup('not:an:address')).toBe('not:an:address');
  });
});
