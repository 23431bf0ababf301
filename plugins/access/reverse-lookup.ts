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
  /** Look-ups waiting for a slot; more are answered `unknown` at once, uncached. */
  readonly maxWaiting?: number;
}

interface Cached {
  value: Promise<HostName>;
  expires: number;
}

/** A look-up's answer, and whether a resolver gave it (only those are cached). */
interface Answer {
  readonly host: HostName;
  readonly resolved: boolean;
}

/** A look-up waiting for a slot. */
interface Waiter {
  readonly start: () => void;
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
 *
 * A burst of clients from addresses whose reverse zone never answers (an attacker's own) must
 * not outlive itself: a look-up still waiting for a slot when its timeout comes is dropped, not
 * run later, and at most `maxWaiting` wait; an answer that no resolver gave (a timeout in the
 * queue, an overflow) is not cached, so the next client from that address is looked up afresh.
 * Before, every queued look-up ran in turn, two at a time, long after its client had gone (a
 * burst of 1,000 kept the resolver busy for minutes), and each legitimate client meanwhile timed
 * out in the queue and was cached as `unknown`.
 */
export class NameResolver {
  readonly #cache = new Map<string, Cached>();
  readonly #overrides = new Map<string, HostName>();
  readonly #waiting: Waiter[] = [];
  #inFlight = 0;
  readonly #opts: Required<NameResolverOptions>;

  constructor(options: NameResolverOptions = {}) {
    this.#opts = {
      timeoutMs: options.timeoutMs ?? 5000,
      defaultTtlMs: options.defaultTtlMs ?? 60_000,
      negativeTtlMs: options.negativeTtlMs ?? 30_000,
      maxEntries: options.maxEntries ?? 4096,
      maxInFlight: options.maxInFlight ?? 2,
      maxWaiting: options.maxWaiting ?? 256,
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
    // Overloaded: no slot soon, and a queue this long would only hold memory and stale work.
    if (this.#inFlight >= this.#opts.maxInFlight && this.#waiting.length >= this.#opts.maxWaiting) return Promise.resolve(UNKNOWN);
    if (this.#cache.size >= this.#opts.maxEntries) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
    // Until settled the entry lives one timeout; then for the TTL (or the negative TTL).
    const entry: Cached = { value: Promise.resolve(UNKNOWN), expires: now + this.#opts.timeoutMs };
    entry.value = this.#bounded(key).then(({ host, resolved }) => {
      if (!resolved) {
        if (this.#cache.get(key) === entry) this.#cache.delete(key);
        return host;
      }
      entry.expires = Date.now() + (host.name ? this.#opts.defaultTtlMs : this.#opts.negativeTtlMs);
      if (host.name) void this.#refineTtl(host.name, entry);
      return host;
    });
    this.#cache.set(key, entry);
    return entry.value;
  }

  /**
   * The look-up, or `unknown` when the timeout comes first. A slow resolver's answer (it was
   * asked) is cached as negative; a look-up that never got a slot is not (see the class).
   */
  #bounded(address: string): Promise<Answer> {
    return new Promise<Answer>((resolve) => {
      let started = false;
      const waiter: Waiter = {
        start: () => {
          started = true;
          this.#inFlight++;
          resolveName(address).then(
            (host) => resolve({ host, resolved: true }),
            () => resolve({ host: UNKNOWN, resolved: true }),
          ).finally(() => {
            clearTimeout(timer);
            this.#inFlight--;
            this.#next();
          });
        },
      };
      const timer = setTimeout(() => {
        if (!started) {
          const i = this.#waiting.indexOf(waiter);
          if (i >= 0) this.#waiting.splice(i, 1);
        }
        resolve({ host: UNKNOWN, resolved: started });
      }, this.#opts.timeoutMs);
      timer.unref();
      if (this.#inFlight < this.#opts.maxInFlight) waiter.start();
      else this.#waiting.push(waiter);
    });
  }

  /** A slot is free: the oldest waiting look-up takes it. */
  #next(): void {
    if (this.#inFlight < this.#opts.maxInFlight) this.#waiting.shift()?.start();
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
