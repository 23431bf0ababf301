import { lookup, lookupService, Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';

/** What a reverse look-up of a client address gave. */
export interface HostName {
  /** Lower-case name, undefined when the look-up failed or timed out. */
  readonly name: string | undefined;
  /** The name's forward look-up contains the address (libwrap's PARANOID test). */
  readonly verified: boolean;
}

export interface NameResolverOptions {
  /** Upper bound of one look-up (reverse plus forward check); a slow resolver never holds a connection longer. */
  readonly timeoutMs?: number;
  /** Cache lifetime when the name's DNS TTL is unknown (e.g. it came from /etc/hosts). */
  readonly defaultTtlMs?: number;
  /** Cache lifetime of failed look-ups. */
  readonly negativeTtlMs?: number;
  readonly maxEntries?: number;
  /** getnameinfo runs on libuv's thread pool, shared with file I/O: keep some threads free. */
  readonly maxInFlight?: number;
}

interface Cached {
  value: Promise<HostName>;
  expires: number;
}

const UNKNOWN: HostName = Object.freeze({ name: undefined, verified: false });

/** The embedded IPv4 address of an IPv4-mapped client, which is what resolvers know. */
export function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/**
 * Reverse look-ups for only_from names/domains and libwrap. Asynchronous (a connection waiting
 * for its name never delays another), bounded by a timeout, cached for the name's TTL, with
 * concurrent look-ups of one address shared and the number in flight capped.
 */
export class NameResolver {
  readonly #cache = new Map<string, Cached>();
  readonly #overrides = new Map<string, HostName>();
  readonly #waiting: (() => void)[] = [];
  #inFlight = 0;
  readonly #opts: Required<NameResolverOptions>;

  constructor(options: NameResolverOptions = {}) {
    this.#opts = {
      timeoutMs: options.timeoutMs ?? 5000,
      defaultTtlMs: options.defaultTtlMs ?? 60_000,
      negativeTtlMs: options.negativeTtlMs ?? 30_000,
      maxEntries: options.maxEntries ?? 4096,
      maxInFlight: options.maxInFlight ?? 2,
    };
  }

  /** Answer for `address` without asking the resolver (`explain --name` / `--no-name`). */
  override(address: string, name: string | null): void {
    this.#overrides.set(plainAddress(address), name === null ? UNKNOWN : { name: name.toLowerCase(), verified: true });
  }

  lookup(address: string): Promise<HostName> {
    const key = plainAddress(address);
    const fixed = this.#overrides.get(key);
    if (fixed) return Promise.resolve(fixed);
    const now = Date.now();
    const hit = this.#cache.get(key);
    if (hit && hit.expires > now) return hit.value;
    if (hit) this.#cache.delete(key);
    if (this.#cache.size >= this.#opts.maxEntries) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
    // Until settled the entry lives one timeout; then for the TTL (or the negative TTL).
    const entry: Cached = { value: Promise.resolve(UNKNOWN), expires: now + this.#opts.timeoutMs };
    entry.value = this.#bounded(key).then((result) => {
      entry.expires = Date.now() + (result.name ? this.#opts.defaultTtlMs : this.#opts.negativeTtlMs);
      if (result.name) void this.#refineTtl(result.name, entry);
      return result;
    });
    this.#cache.set(key, entry);
    return entry.value;
  }

  async #bounded(address: string): Promise<HostName> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<HostName>((resolve) => {
      timer = setTimeout(() => resolve(UNKNOWN), this.#opts.timeoutMs);
      timer.unref();
    });
    try {
      return await Promise.race([this.#slot(() => resolveName(address)), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async #slot<T>(work: () => Promise<T>): Promise<T> {
    if (this.#inFlight >= this.#opts.maxInFlight) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#inFlight++;
    try {
      return await work();
    } finally {
      this.#inFlight--;
      this.#waiting.shift()?.();
    }
  }

  /** A DNS answer's TTL replaces the default lifetime (names from /etc/hosts have none). */
  async #refineTtl(name: string, entry: Cached): Promise<void> {
    try {
      const resolver = new Resolver({ timeout: this.#opts.timeoutMs, tries: 1 });
      const answers = await resolver.resolve4(name, { ttl: true }).catch(() => resolver.resolve6(name, { ttl: true }));
      const ttl = Math.min(...answers.map((a) => a.ttl));
      if (Number.isFinite(ttl)) entry.expires = Date.now() + Math.max(1, ttl) * 1000;
    } catch {
      // no DNS answer: keep the default lifetime
    }
  }
}

async function resolveName(address: string): Promise<HostName> {
  let name: string;
  try {
    name = (await lookupService(address, 0)).hostname.toLowerCase();
  } catch {
    return UNKNOWN;
  }
  if (!name || isIP(name)) return UNKNOWN;
  try {
    const forward = await lookup(name, { all: true });
    return { name, verified: forward.some((a) => plainAddress(a.address) === address) };
  } catch {
    return { name, verified: false };
  }
}

const resolvers = new WeakMap<object, NameResolver>();

/** One resolver (and cache) per daemon, shared by the access and libwrap plugins. */
export function nameResolverFor(daemon: object): NameResolver {
  let r = resolvers.get(daemon);
  if (!r) {
    const timeoutMs = Number(process.env.XINETD_TS_DNS_TIMEOUT_MS) || undefined;
    r = new NameResolver({ timeoutMs });
    resolvers.set(daemon, r);
  }
  return r;
}
