import { isIPv6 } from 'node:net';

/** The 8 groups of an IPv6 address (zone dropped, embedded IPv4 tail allowed); undefined if not IPv6. */
export function ipv6Groups(address: string): number[] | undefined {
  const text = address.split('%')[0]!;
  if (!isIPv6(text)) return undefined;
  let tail: number[] = [];
  let head = text;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    tail = [(a << 8) | b, (c << 8) | d];
    head = text.slice(0, v4.index);
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const [left, right] = head.includes('::') ? head.split('::') as [string, string] : [head, undefined];
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const l = parse(left);
  const r = right === undefined ? [] : parse(right);
  const fill = 8 - l.length - r.length - tail.length;
  return [...l, ...new Array<number>(right === undefined ? 0 : fill).fill(0), ...r, ...tail];
}

/**
 * The source an address counts as for `per_source N /LEN`: IPv6 addresses become their /LEN
 * network (`2001:db8:0:1::/64`); anything else (IPv4, after the core folded mapped forms) is
 * its own source.
 */
export function prefixSource(address: string, length: number): string {
  const groups = ipv6Groups(address);
  if (!groups) return address;
  const masked = groups.map((g, i) => {
    const bits = Math.min(16, Math.max(0, length - i * 16));
    return bits === 0 ? 0 : g & (0xffff << (16 - bits)) & 0xffff;
  });
  return `${masked.map((g) => g.toString(16)).join(':')}/${length}`;
}
