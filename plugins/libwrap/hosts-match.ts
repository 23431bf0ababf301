import { isIP } from 'node:net';
import { parseInetAton, parseIPv6, peerIPv6 } from '../access/address-match.js';
import { splitAt, type HostsRule, type HostsTable } from './hosts-files.js';

/** One end of the connection as tcpd sees it: `unknown` when not known; names looked up lazily. */
export interface WrapHost {
  readonly address: string;
  /** The verified host name, `unknown` (no name) or `paranoid` (name/address mismatch). */
  name(): Promise<string>;
}

export interface WrapRequest {
  readonly daemon: string;
  readonly client: WrapHost;
  readonly server: WrapHost;
  /** The ident user name; xinetd-ts does no ident look-up, so `unknown`. */
  readonly user: string;
  /** Tokens of a `/path` pattern file (empty when it cannot be read). */
  patternFile(path: string): Promise<readonly string[]>;
}

export interface WrapVerdict {
  readonly allowed: boolean;
  /** The rule that decided; none when no rule matched (then access is granted). */
  readonly rule?: HostsRule;
  readonly reason: string;
}

const eq = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
const known = (name: string) => !eq(name, 'unknown') && !eq(name, 'paranoid');

/** tcpd's NOT_INADDR: the token has a character other than digits, dots and slashes. */
const notInaddr = (token: string) => /[^0-9./]/.test(token);

/**
 * tcpd's `*` (any run) and `?` (any character), case-insensitive, in time proportional to the
 * pattern times the text: the regular expression it used to be built into backtracked for
 * minutes on `*a*a*a*a*a*]` against a long name, on the event loop, at every connection.
 */
function wildcard(pattern: string, text: string): boolean {
  const p = pattern.toLowerCase();
  const t = text.toLowerCase();
  let pi = 0;
  let ti = 0;
  // The last `*` seen, and where in the text its run now ends: on a mismatch the run grows by one.
  let star = -1;
  let runEnd = 0;
  while (ti < t.length) {
    if (pi < p.length && (p[pi] === '?' || p[pi] === t[ti])) {
      pi++;
      ti++;
    } else if (pi < p.length && p[pi] === '*') {
      star = pi++;
      runEnd = ti;
    } else if (star >= 0) {
      pi = star + 1;
      ti = ++runEnd;
    } else return false;
  }
  while (p[pi] === '*') pi++;
  return pi === p.length;
}

/** inet_addr's error value: tcpd cannot tell it from the address 255.255.255.255, so neither parses. */
const INADDR_NONE = 0xffffffff;
const LONG_MAX = (1n << 63n) - 1n;

/** tcpd's dot_quad_addr: exactly four parts, each in inet_addr's syntax (octal, hex). */
function dotQuadAddr(text: string): number | undefined {
  if (text.split('.').length !== 4) return undefined;
  const value = parseInetAton(text);
  return value === INADDR_NONE ? undefined : value;
}

/** glibc's atoi, (int) strtol(text, NULL, 10): "8x" is 8, "abc" is 0, 2^32 + 8 wraps to 8. */
function atoi(text: string): number {
  const digits = /^\s*([+-]?\d+)/.exec(text)?.[1];
  if (digits === undefined) return 0;
  const n = BigInt(digits);
  const clamped = n > LONG_MAX ? LONG_MAX : n < -LONG_MAX - 1n ? -LONG_MAX - 1n : n;
  return Number(BigInt.asIntN(32, clamped));
}

/** tcpd's /len for IPv4 (cidr_mask_addr): 1 to 32 bits; /0 is refused as a bad mask. */
function cidrMask(text: string): number | undefined {
  const bits = atoi(text);
  return bits < 1 || bits > 32 ? undefined : (INADDR_NONE << (32 - bits)) >>> 0;
}

export function stringMatch(token: string, text: string): boolean {
  if (text.startsWith('::ffff:') && isIP(text.slice(7)) === 4) text = text.slice(7);
  if (token.startsWith('.')) {
    const n = text.length - token.length;
    return n > 0 && eq(token, text.slice(n));
  }
  if (eq(token, 'ALL')) return true;
  if (eq(token, 'KNOWN')) return !eq(text, 'unknown');
  if (token.endsWith('.')) return text.toLowerCase().startsWith(token.toLowerCase());
  if (token.includes('*') || token.includes('?')) return wildcard(token, text);
  if (token.startsWith('[') && token.endsWith(']')) {
    const pattern = parseIPv6(token.slice(1, -1));
    return pattern !== undefined && pattern === peerIPv6(text);
  }
  return eq(token, text);
}

function maskedMatch(net: string, mask: string, address: string): boolean {
  if (net.startsWith('[') && net.endsWith(']')) {
    const pattern = parseIPv6(net.slice(1, -1));
    const addr = peerIPv6(address);
    const len = atoi(mask);
    if (pattern === undefined || addr === undefined || len < 0 || len > 128) return false;
    const bits = BigInt(128 - len);
    return addr >> bits === pattern >> bits;
  }
  // The net is not masked: 127.0.0.1/255.255.255.254 matches nothing, as in tcpd.
  const addr = dotQuadAddr(address);
  const n = dotQuadAddr(net);
  const m = dotQuadAddr(mask) ?? cidrMask(mask);
  if (addr === undefined || n === undefined || m === undefined) return false;
  return ((addr & m) >>> 0) === n;
}

/**
 * tcpd follows nested files without limit, and a file that names itself (directly or not)
 * overflows its stack. Here such a file matches nothing where it recurs, and chains are capped.
 */
const MAX_FILE_DEPTH = 64;

async function hostMatch(token: string, host: WrapHost, req: WrapRequest, files: readonly string[] = []): Promise<boolean> {
  if (token.startsWith('@')) return false; // NIS netgroups: not supported (check says so)
  if (eq(token, 'KNOWN')) return !eq(host.address, 'unknown') && known(await host.name());
  if (eq(token, 'LOCAL')) {
    const name = await host.name();
    return !name.includes('.') && known(name);
  }
  if (token.startsWith('/')) {
    if (files.includes(token) || files.length >= MAX_FILE_DEPTH) return false;
    for (const t of await req.patternFile(token)) if (await hostMatch(t, host, req, [...files, token])) return true;
    return false;
  }
  const masked = splitAt(token, '/');
  if (masked) return maskedMatch(masked[0], masked[1], host.address);
  if (stringMatch(token, host.address)) return true;
  return notInaddr(token) && stringMatch(token, await host.name());
}

async function serverMatch(token: string, req: WrapRequest): Promise<boolean> {
  const at = splitAt(token.slice(1), '@');
  if (!at) return stringMatch(token, req.daemon);
  return stringMatch(token[0] + at[0], req.daemon) && hostMatch(at[1], req.server, req);
}

async function clientMatch(token: string, req: WrapRequest): Promise<boolean> {
  const at = splitAt(token.slice(1), '@');
  if (!at) return hostMatch(token, req.client, req);
  return (await hostMatch(at[1], req.client, req)) && stringMatch(token[0] + at[0], req.user);
}

/** tcpd's list_match: the first matching item wins unless an EXCEPT list after it matches. */
async function listMatch(tokens: readonly string[], match: (t: string) => Promise<boolean>): Promise<boolean> {
  for (let i = 0; i < tokens.length; i++) {
    if (eq(tokens[i]!, 'EXCEPT')) return false;
    if (await match(tokens[i]!)) {
      const except = tokens.findIndex((t, j) => j > i && eq(t, 'EXCEPT'));
      return except < 0 || !(await listMatch(tokens.slice(except + 1), match));
    }
  }
  return false;
}

export async function ruleMatches(rule: HostsRule, req: WrapRequest): Promise<boolean> {
  return (await listMatch(rule.daemons, (t) => serverMatch(t, req))) && listMatch(rule.clients, (t) => clientMatch(t, req));
}

function where(rule: HostsRule): string {
  return `${rule.at.file}:${rule.at.line}`;
}

/** The verdict a matched rule gives, its options applied (reference 18.1). */
function verdictOf(rule: HostsRule, inAllowFile: boolean): WrapVerdict {
  const o = rule.options;
  const base = `${where(rule)} (${rule.text})`;
  if (o?.error) return { allowed: false, rule, reason: `${base}: ${o.error}` };
  if (o?.refusing) return { allowed: false, rule, reason: `${base}: option ${o.refusing} is not supported` };
  if (o?.verdict) return { allowed: o.verdict === 'allow', rule, reason: `${base}: option ${o.verdict}` };
  return { allowed: inAllowFile, rule, reason: base };
}

async function firstMatch(table: HostsTable, req: WrapRequest): Promise<HostsRule | undefined> {
  for (const rule of table.rules) if (await ruleMatches(rule, req)) return rule;
  return undefined;
}

/** hosts_access(): the first match in hosts.allow, else the first in hosts.deny, else allow. */
export async function hostsAccess(allow: HostsTable, deny: HostsTable, req: WrapRequest): Promise<WrapVerdict> {
  const a = await firstMatch(allow, req);
  if (a) return verdictOf(a, true);
  const d = await firstMatch(deny, req);
  if (d) return verdictOf(d, false);
  return { allowed: true, reason: `no rule in ${allow.file} or ${deny.file} matches` };
}

