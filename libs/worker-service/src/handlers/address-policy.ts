import { BlockList, isIP } from 'node:net';

/**
 * Addresses `http.request` refuses unless allowlisted: everything that is not the public internet.
 * IPv4-mapped IPv6 (::ffff:127.0.0.1) matches the IPv4 rules (BlockList checks them as IPv4).
 */
const BLOCKED: [label: string, ranges: string[]][] = [
  ['unspecified', ['0.0.0.0/8', '::/128']],
  ['loopback', ['127.0.0.0/8', '::1/128']],
  ['private', ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7']],
  ['carrier-grade NAT', ['100.64.0.0/10']],
  ['link-local', ['169.254.0.0/16', 'fe80::/10']],
  ['multicast', ['224.0.0.0/4', 'ff00::/8']],
  ['reserved', ['240.0.0.0/4', '192.0.0.0/24', '198.18.0.0/15', 'fec0::/10', '100::/64']],
  // NAT64 embeds an IPv4 address the gateway would reach on our behalf.
  ['NAT64', ['64:ff9b::/96', '64:ff9b:1::/48']],
];

const family = (address: string) => (isIP(address) === 6 ? 'ipv6' : 'ipv4');

function blockListOf(ranges: string[]): BlockList {
  const list = new BlockList();
  for (const range of ranges) {
    const [net, prefix] = range.split('/');
    if (!net || !isIP(net)) throw new Error(`"${range}" is not an IP address or CIDR`);
    const bits = prefix === undefined ? (isIP(net) === 6 ? 128 : 32) : Number(prefix);
    if (!Number.isInteger(bits) || bits < 0 || bits > (isIP(net) === 6 ? 128 : 32)) {
      throw new Error(`"${range}" has an invalid prefix length`);
    }
    list.addSubnet(net, bits, family(net));
  }
  return list;
}

const BLOCKED_LISTS = BLOCKED.map(([label, ranges]) => ({ label, list: blockListOf(ranges) }));

/** Why `address` is not a public internet address, or null when it is. */
export function nonPublicReason(address: string): string | null {
  const hit = BLOCKED_LISTS.find((b) => b.list.check(address, family(address)));
  return hit?.label ?? null;
}

/**
 * HTTP_REQUEST_ALLOW_HOSTS: host names (exact, case-insensitive; `*.example.com` for subdomains)
 * and IP addresses or CIDRs that may be reached even though they are not public.
 */
export class HostAllowlist {
  private readonly names = new Set<string>();
  private readonly suffixes: string[] = [];
  private readonly addresses: BlockList;
  readonly entries: readonly string[];

  constructor(entries: readonly string[]) {
    this.entries = entries.map((e) => e.trim()).filter(Boolean);
    const ranges: string[] = [];
    for (const raw of this.entries) {
      const entry = raw.toLowerCase().replace(/^\[(.*)\]$/, '$1');
      if (isIP(entry.split('/')[0] ?? '')) ranges.push(entry);
      else if (entry.startsWith('*.')) this.suffixes.push(entry.slice(1));
      else if (/^[a-z0-9_.-]+$/.test(entry)) this.names.add(entry.replace(/\.$/, ''));
      else throw new Error(`HTTP_REQUEST_ALLOW_HOSTS: "${raw}" is not a host name, IP address or CIDR`);
    }
    this.addresses = blockListOf(ranges);
  }

  allowsName(hostname: string): boolean {
    const h = hostname.toLowerCase().replace(/\.$/, '');
    return this.names.has(h) || this.suffixes.some((s) => h.endsWith(s));
  }

  allowsAddress(address: string): boolean {
    return this.addresses.check(address, family(address));
  }
}
