import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { AttributeError } from '../../core/config/attributes.js';
import type { SourceLocation } from '../../core/config/raw.js';

/**
 * only_from / no_access entries (reference 5.1) and how they match a client (5.2). Pure: the
 * client's host name, when an entry needs one, is looked up by the caller and passed in.
 */
export type AddressEntry =
  | { readonly kind: 'v4'; readonly net: number; readonly prefix: number; readonly text: string; readonly at?: SourceLocation; readonly dottedMask?: boolean }
  | { readonly kind: 'v6'; readonly net: bigint; readonly prefix: number; readonly text: string; readonly at?: SourceLocation }
  | { readonly kind: 'name'; readonly name: string; readonly text: string; readonly at?: SourceLocation }
  | { readonly kind: 'domain'; readonly suffix: string; readonly text: string; readonly at?: SourceLocation };

export interface AddressList {
  readonly entries: readonly AddressEntry[];
  /** Where the list was (last) written, for "not in only_from" messages. */
  readonly at?: SourceLocation;
  /** Some entry needs the client's host name (reverse look-up). */
  readonly needsName: boolean;
}

/** A client address in the forms entries compare against. */
export interface ClientAddress {
  /** Set for IPv4 clients, including IPv4-mapped clients of dual-stack sockets. */
  readonly v4?: number;
  /** Set for clients seen on an IPv6 socket (mapped ones too). */
  readonly v6?: bigint;
}

const V6_BITS = 128n;
const ALL_V6 = (1n << V6_BITS) - 1n;

/** inet_aton's syntax: 1 to 4 parts, decimal, octal (leading 0) or hex (0x); short forms fill the last part. */
export function parseInetAton(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length > 4) return undefined;
  const nums: number[] = [];
  for (const p of parts) {
    let n: number;
    if (/^0[xX][0-9a-fA-F]+$/.test(p)) n = parseInt(p.slice(2), 16);
    else if (/^0[0-7]*$/.test(p)) n = parseInt(p, 8);
    else if (/^[1-9][0-9]*$/.test(p)) n = Number(p);
    else return undefined;
    if (!Number.isSafeInteger(n)) return undefined;
    nums.push(n);
  }
  const last = nums.pop()!;
  if (nums.some((n) => n > 255)) return undefined;
  const room = 2 ** (8 * (4 - nums.length));
  if (last >= room) return undefined;
  let value = 0;
  for (const n of nums) value = value * 256 + n;
  return value * room + last;
}

/**
 * An IPv6 address as an administrator writes it (only_from, hosts.allow). A scope (`fe80::1%eth0`,
 * `fe80::1%2`) is taken as getaddrinfo takes it: a number or the name of an interface of this
 * machine, else the text is no address (xinetd: `failed to parse`; tcpd: no match). The scope is
 * not part of the value, as neither compares it.
 */
export function parseIPv6(text: string): bigint | undefined {
  const percent = text.indexOf('%');
  if (percent < 0) return ipv6Value(text);
  return isScope(text.slice(percent + 1)) ? ipv6Value(text.slice(0, percent)) : undefined;
}

/** A peer's address as the kernel gave it: its scope, if any, is a real one and is dropped. */
export function peerIPv6(address: string): bigint | undefined {
  const percent = address.indexOf('%');
  return ipv6Value(percent < 0 ? address : address.slice(0, percent));
}

/** getaddrinfo's test of a scope: a 32-bit number, or an interface name (IFNAMSIZ, no `/`). */
function isScope(scope: string): boolean {
  if (/^\d+$/.test(scope)) return Number(scope) <= 0xffffffff;
  if (!/^[^/\s]{1,15}$/.test(scope) || scope === '.' || scope === '..') return false;
  return Object.hasOwn(networkInterfaces(), scope) || existsSync(`/sys/class/net/${scope}`);
}

/** The 128 bits of an IPv6 address without a scope; undefined for anything else. */
function ipv6Value(text: string): bigint | undefined {
  if (isIP(text) !== 6 || text.includes('%')) return undefined;
  let head = text;
  let tailV4: number | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    tailV4 = parseInetAton(text.slice(lastColon + 1));
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [left, right] = head.includes('::') ? head.split('::') as [string, string] : [head, undefined];
  const l = left ? left.split(':') : [];
  const r = right === undefined ? [] : right ? right.split(':') : [];
  const groups = right === undefined ? l : [...l, ...Array<string>(8 - l.length - r.length).fill('0'), ...r];
  let value = 0n;
  for (const g of groups) value = (value << 16n) | BigInt(parseInt(g, 16));
  if (tailV4 !== undefined) value = (value & ~0xffffffffn) | BigInt(tailV4);
  return value;
}

const v4Mask = (prefix: number) => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);
const v6Mask = (prefix: number) => (prefix === 0 ? 0n : (ALL_V6 << BigInt(128 - prefix)) & ALL_V6);

/** The client as entries see it: an IPv4-mapped IPv6 address also matches IPv4 entries. */
export function clientAddress(address: string): ClientAddress {
  if (isIP(address) === 4) return { v4: parseInetAton(address) };
  const v6 = peerIPv6(address);
  if (v6 === undefined) return {};
  const mapped = v6 >> 32n === 0xffffn;
  return mapped ? { v6, v4: Number(v6 & 0xffffffffn) } : { v6 };
}

/** A numeric IPv4 address alone means the network made of its trailing zero bytes (xinetd). */
function trailingZeroPrefix(addr: number): number {
  if (addr === 0) return 0;
  let prefix = 32;
  while (prefix > 0 && ((addr >>> (32 - prefix)) & 0xff) === 0 && prefix % 8 === 0) prefix -= 8;
  return prefix;
}

const HOST_NAME = /^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;
/**
 * A name has a character other than digits, dots and hyphens: `10.0.0.1-10.0.0.9` and
 * `192.168.1.10-20` are address ranges (which xinetd has not), never resolved, so `failed to parse`.
 */
const NOT_ONLY_DIGITS = /[^0-9.-]/;

/**
 * Whether the token ends with a `{...}` group holding a comma (`1.2.{3,4}`): what
 * /\{[^}]*,[^}]*\}$/ says, in one pass (that expression backtracks for minutes on a long
 * `{,{,{,...` token, while a reload holds the event loop).
 */
function endsInCommaBraces(token: string): boolean {
  if (!token.endsWith('}')) return false;
  const body = token.slice(0, -1);
  const open = body.indexOf('{', body.lastIndexOf('}') + 1);
  return open >= 0 && body.includes(',', open + 1);
}

/**
 * One token, in xinetd's order of attempts. Returns [] for a token xinetd would drop with
 * `failed to parse` (the caller warns); throws for a comma outside braces (service disabled).
 */
export function parseAddressToken(token: string, at?: SourceLocation): AddressEntry[] | undefined {
  const text = token;
  if (token.includes(',') && !endsInCommaBraces(token)) {
    throw new AttributeError(`Address: ${token} has a comma in it - remove the comma`);
  }
  const v4 = parseInetAton(token);
  if (v4 !== undefined) return [{ kind: 'v4', net: v4, prefix: trailingZeroPrefix(v4), text, at }];
  const v6 = parseIPv6(token);
  if (v6 !== undefined) return [{ kind: 'v6', net: v6, prefix: 128, text, at }];
  if (token.startsWith('.') && /[^0-9.]/.test(token) && HOST_NAME.test(token.slice(1))) {
    return [{ kind: 'domain', suffix: token.toLowerCase(), text, at }];
  }
  const slash = token.indexOf('/');
  if (slash > 0) {
    const addr = token.slice(0, slash);
    const len = token.slice(slash + 1);
    const lenNum = /^\d+/.exec(len);
    if (!lenNum) return undefined;
    const n = Number(lenNum[0]);
    const a4 = isIP(addr) === 4 ? parseInetAton(addr) : undefined;
    if (a4 !== undefined) {
      // xinetd reads `a.b.c.d/255.255.255.0` as /255: an all-ones mask (one address).
      const prefix = Math.min(n, 32);
      return [{ kind: 'v4', net: (a4 & v4Mask(prefix)) >>> 0, prefix, text, at, dottedMask: len.includes('.') }];
    }
    const a6 = parseIPv6(addr);
    if (a6 !== undefined && n <= 128 && /^\d+$/.test(len)) return [{ kind: 'v6', net: a6 & v6Mask(n), prefix: n, text, at }];
    return undefined;
  }
  const factor = /^(\d{1,3}(?:\.\d{1,3}){0,2})\.\{([\d,]+)\}$/.exec(token);
  if (factor) {
    const head = factor[1]!.split('.').map(Number);
    const values = factor[2]!.split(',').filter(Boolean).map(Number);
    if ([...head, ...values].some((x) => x > 255) || values.length === 0) return undefined;
    const prefix = 8 * (head.length + 1);
    return values.map((x) => {
      const bytes = [...head, x, 0, 0, 0].slice(0, 4);
      const net = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
      return { kind: 'v4' as const, net, prefix, text, at };
    });
  }
  if (HOST_NAME.test(token) && NOT_ONLY_DIGITS.test(token)) return [{ kind: 'name', name: token.toLowerCase(), text, at }];
  return undefined;
}

/**
 * A factorized address (`a.b.c.{x,y}`) that is not well formed disables the service, as in xinetd:
 * `Bad address: T` (with `. Consecutive commas` for an empty element), then `Failed adding: T`.
 * Dropping the token instead would leave the service open to what the rest of the list allows.
 */
function checkFactorized(token: string, warn: (m: string, level: 'error') => void): void {
  const factor = /^\d{1,3}(?:\.\d{1,3}){0,2}\.\{([^{}]*)\}$/.exec(token);
  const elements = factor?.[1]!.split(',');
  const suffix = elements?.some((e) => e === '') ? '. Consecutive commas' : '';
  if (elements && !suffix && elements.every((e) => /^\d{1,3}$/.test(e))) return;
  warn(`Bad address: ${token}${suffix}`, 'error');
  throw new AttributeError(`Failed adding: ${token}`);
}

/** Parse a whole list; `warn` gets xinetd's `failed to parse X` (an ERROR there) for dropped tokens. */
export function parseAddressList(tokens: readonly string[], tokenAt: readonly SourceLocation[] | undefined, at: SourceLocation | undefined, warn: (m: string, level: 'error') => void): AddressList {
  const entries: AddressEntry[] = [];
  tokens.forEach((token, i) => {
    if (token.includes('{')) checkFactorized(token, warn);
    const parsed = parseAddressToken(token, tokenAt?.[i] ?? at);
    if (parsed) entries.push(...parsed);
    else warn(`failed to parse ${token}`, 'error');
  });
  return { entries, at, needsName: entries.some((e) => e.kind === 'name' || e.kind === 'domain') };
}

/** Whether the entry matches; `name` is the client's reverse-looked-up name (lower case) if any. */
export function entryMatches(entry: AddressEntry, client: ClientAddress, name: string | undefined): boolean {
  switch (entry.kind) {
    case 'v4':
      return client.v4 !== undefined && ((client.v4 & v4Mask(entry.prefix)) >>> 0) === entry.net;
    case 'v6':
      return client.v6 !== undefined && (client.v6 & v6Mask(entry.prefix)) === entry.net;
    case 'name':
      return name !== undefined && name === entry.name;
    case 'domain':
      return name !== undefined && name.length > entry.suffix.length && name.endsWith(entry.suffix);
  }
}

/** How specific an entry is: an exact host, a network of some prefix (IPv6 scale), or a domain. */
export interface Specificity {
  readonly rank: 'host' | 'net' | 'domain';
  readonly bits: number;
}

export function specificity(entry: AddressEntry): Specificity {
  switch (entry.kind) {
    case 'v4':
      return entry.prefix === 32 ? { rank: 'host', bits: 128 } : { rank: 'net', bits: 96 + entry.prefix };
    case 'v6':
      return entry.prefix === 128 ? { rank: 'host', bits: 128 } : { rank: 'net', bits: entry.prefix };
    case 'name':
      return { rank: 'host', bits: 128 };
    case 'domain':
      return { rank: 'domain', bits: entry.suffix.split('.').length - 1 };
  }
}

/**
 * > 0 when `a` is more specific than `b`, < 0 when less, 0 when neither wins: two exact hosts,
 * equal prefixes or domains, or a network against a domain (they cannot be compared).
 */
export function compareSpecificity(a: AddressEntry, b: AddressEntry): number {
  const x = specificity(a);
  const y = specificity(b);
  if (x.rank === 'host' || y.rank === 'host') return (x.rank === 'host' ? 1 : 0) - (y.rank === 'host' ? 1 : 0);
  if (x.rank !== y.rank) return 0;
  return x.bits - y.bits;
}

/** The most specific matching entry of a list (the first one among equals). */
export function bestMatch(list: AddressList, client: ClientAddress, name: string | undefined): AddressEntry | undefined {
  let best: AddressEntry | undefined;
  for (const entry of list.entries) {
    if (!entryMatches(entry, client, name)) continue;
    if (!best || compareSpecificity(entry, best) > 0) best = entry;
  }
  return best;
}

/** Whether some address could match both entries (numeric networks overlap; a name lies in a domain). */
export function entriesOverlap(a: AddressEntry, b: AddressEntry): boolean | undefined {
  if (a.kind === 'v4' && b.kind === 'v4') {
    const p = Math.min(a.prefix, b.prefix);
    return ((a.net & v4Mask(p)) >>> 0) === ((b.net & v4Mask(p)) >>> 0);
  }
  if (a.kind === 'v6' && b.kind === 'v6') {
    const p = Math.min(a.prefix, b.prefix);
    return (a.net & v6Mask(p)) === (b.net & v6Mask(p));
  }
  if (a.kind === 'v4' && b.kind === 'v6') return entriesOverlap(b, a);
  if (a.kind === 'v6' && b.kind === 'v4') {
    // An IPv6 network covering ::ffff:0:0/96 meets IPv4 entries through mapped clients.
    const mapped: AddressEntry = { kind: 'v6', net: (0xffffn << 32n) | BigInt(b.net), prefix: 96 + b.prefix, text: b.text };
    return entriesOverlap(a, mapped);
  }
  const name = (e: AddressEntry) => (e.kind === 'name' ? e.name : undefined);
  const domain = (e: AddressEntry) => (e.kind === 'domain' ? e.suffix : undefined);
  if (name(a) && name(b)) return name(a) === name(b);
  if (domain(a) && domain(b)) return domain(a)!.endsWith(domain(b)!) || domain(b)!.endsWith(domain(a)!);
  if (name(a) && domain(b)) return name(a)!.endsWith(domain(b)!);
  if (domain(a) && name(b)) return name(b)!.endsWith(domain(a)!);
  return undefined;
}

export function describeEntry(entry: AddressEntry): string {
  return entry.at ? `${entry.text} (${entry.at.file}:${entry.at.line})` : entry.text;
}
