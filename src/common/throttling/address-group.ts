import ipaddr from 'ipaddr.js';

/**
 * What per-address limits count against: an IPv4 address as it is, and for IPv6 the /64 network the address is
 * in. An IPv6 subscriber is given a /64 or more and may use any address in it, so counting single addresses would
 * let one client pass every per-address limit by changing address. IPv4-mapped IPv6 addresses count as IPv4.
 * Sessions and the audit log keep the whole address; only the counting is by group.
 */
export function addressGroup(ip: string): string {
  // IPv4, the usual case, without parsing: every request's rate limit goes through here.
  if (!ip.includes(':') || !ipaddr.isValid(ip)) return ip;
  const address = ipaddr.process(ip);
  if (address.kind() === 'ipv4') return address.toString();
  const network = (address as ipaddr.IPv6).parts.slice(0, 4).map((part) => part.toString(16));
  return `${network.join(':')}::/64`;
}
