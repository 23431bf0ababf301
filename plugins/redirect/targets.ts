import dns from 'node:dns/promises';
import { isIP } from 'node:net';
import type { RedirectTarget } from './attributes.js';

/** A target with a numeric address, ready to connect to. */
export interface ResolvedTarget {
  /** As written, for log messages. */
  readonly host: string;
  readonly address: string;
  readonly port: number;
  /** Source address for the outgoing connection (from `bind`), when one applies. */
  readonly localAddress: string | undefined;
}

const loopback = (a: string) => a.startsWith('127.') || a === '::1';

/**
 * `bind` is used as the source address when it is a specific address of the target's family,
 * unless it is a loopback address and the target is not (that could never be routed).
 */
export function sourceAddress(bind: string | undefined, target: string): string | undefined {
  if (!bind || bind === '0.0.0.0' || bind === '::') return undefined;
  if (isIP(bind) !== isIP(target)) return undefined;
  if (loopback(bind) && !loopback(target)) return undefined;
  return bind;
}

const resolved = (t: RedirectTarget, address: string, bind: string | undefined): ResolvedTarget =>
  Object.freeze({ host: t.host, address, port: t.port, localAddress: sourceAddress(bind, address) });

/** All-numeric lists resolve at configuration time with no I/O; undefined when a name needs DNS. */
export function resolveNumeric(targets: readonly RedirectTarget[], bind: string | undefined): readonly ResolvedTarget[] | undefined {
  if (!targets.every((t) => isIP(t.host))) return undefined;
  return Object.freeze(targets.map((t) => resolved(t, t.host, bind)));
}

/**
 * A name's address as xinetd takes it: the first IPv4 address, in the resolver's order (also for
 * an IPv6 service). A name with no IPv4 address, which xinetd rejects, gets its first IPv6 one.
 */
async function addressOf(host: string): Promise<string> {
  try {
    return (await dns.lookup(host, { family: 4 })).address;
  } catch (error) {
    try {
      return (await dns.lookup(host, { family: 6 })).address;
    } catch {
      throw error;
    }
  }
}

/** Names are looked up (see addressOf); a name that fails is reported and left out. */
export async function resolveTargets(targets: readonly RedirectTarget[], bind: string | undefined, report: (message: string) => void): Promise<{ targets: readonly ResolvedTarget[]; complete: boolean }> {
  const out: ResolvedTarget[] = [];
  let complete = true;
  for (const t of targets) {
    if (isIP(t.host)) {
      out.push(resolved(t, t.host, bind));
      continue;
    }
    try {
      out.push(resolved(t, await addressOf(t.host), bind));
    } catch (error) {
      complete = false;
      report(`cannot resolve redirect host ${t.host}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  return { targets: Object.freeze(out), complete };
}
