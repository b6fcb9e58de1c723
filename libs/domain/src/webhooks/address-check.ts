import { isIP } from 'node:net';

/**
 * Addresses a webhook may not connect to unless the operator allows it (`-webhook-allow-link-local`):
 * link-local ranges and the cloud metadata services, where a job's owner could read the host's
 * credentials. Loopback and private ranges are allowed.
 */
const METADATA_ADDRESSES = new Set([
  '169.254.169.254', // AWS, GCP, Azure, OpenStack, Oracle
  '169.254.170.2', // AWS ECS task metadata
  '100.100.100.200', // Alibaba Cloud
  '192.0.0.192', // Oracle Cloud (legacy)
  'fd00:ec2::254', // AWS over IPv6
]);

/** Why an address is refused, or undefined when a webhook may connect to it. */
export function refusedAddressReason(address: string): string | undefined {
  const ip = normalize(address);
  if (METADATA_ADDRESSES.has(ip)) return `${address} is a cloud metadata address`;
  if (isIP(ip) === 4 && ip.startsWith('169.254.')) return `${address} is link-local`;
  if (isIP(ip) === 6 && /^fe[89ab][0-9a-f]:/i.test(expandHead(ip))) return `${address} is link-local`;
  return undefined;
}

/** Lower case, brackets off, and an IPv4-mapped IPv6 address (::ffff:a.b.c.d) as its IPv4 address. */
function normalize(address: string): string {
  const bare = address
    .replace(/^\[|\]$/g, '')
    .toLowerCase()
    .replace(/%.*$/, '');
  const mapped = /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
  if (mapped?.[1] !== undefined) return mapped[1];
  const hexMapped = /^(?:0{0,4}:){0,5}:?ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(bare);
  if (hexMapped?.[1] !== undefined && hexMapped[2] !== undefined) {
    const high = parseInt(hexMapped[1], 16);
    const low = parseInt(hexMapped[2], 16);
    return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  }
  return canonicalV6(bare);
}

/** `fd00:ec2:0:0:0:0:0:254` and `fd00:ec2::254` alike, as the short form. */
function canonicalV6(ip: string): string {
  if (isIP(ip) !== 6 || ip.includes('.')) return ip;
  const groups = expand(ip).map((group) => group.replace(/^0+(?=.)/, ''));
  // The longest run of zero groups becomes `::`.
  let best = { start: -1, length: 0 };
  for (let i = 0; i < groups.length;) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === '0') j++;
    if (j - i > best.length && j - i > 1) best = { start: i, length: j - i };
    i = j;
  }
  if (best.start < 0) return groups.join(':');
  const head = groups.slice(0, best.start).join(':');
  const tail = groups.slice(best.start + best.length).join(':');
  return `${head}::${tail}`;
}

function expand(ip: string): string[] {
  const [head = '', tail] = ip.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((group) => group.padStart(4, '0'));
}

function expandHead(ip: string): string {
  return ip.includes('.') ? ip : expand(ip).join(':');
}
