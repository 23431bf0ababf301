import type { ServiceConfig } from './service-config.js';

/**
 * Runtime counters of one service, kept by the core only (limit plugins read them, never
 * write them, so no plugin can leak a slot). Survives reloads while the identity is unchanged.
 */
export class ServiceState {
  config: ServiceConfig;
  /** Live sessions (spawned servers and in-process stream sessions). */
  running = 0;
  readonly #perSource = new Map<string, number>();
  /** Set while the service is switched off (cps, EMFILE); epoch ms it comes back. */
  suspendedUntil = 0;

  constructor(config: ServiceConfig) {
    this.config = config;
  }

  sessionsFrom(sourceKey: string): number {
    return this.#perSource.get(sourceKey) ?? 0;
  }

  sources(): ReadonlyMap<string, number> {
    return this.#perSource;
  }

  /** Core only. */
  track(sourceKey: string | undefined): void {
    this.running++;
    if (sourceKey !== undefined) this.#perSource.set(sourceKey, (this.#perSource.get(sourceKey) ?? 0) + 1);
  }

  /** Core only. */
  untrack(sourceKey: string | undefined): void {
    this.running--;
    if (sourceKey === undefined) return;
    const n = (this.#perSource.get(sourceKey) ?? 1) - 1;
    if (n <= 0) this.#perSource.delete(sourceKey);
    else this.#perSource.set(sourceKey, n);
  }
}

/** One source per client: IPv4 and its IPv4-mapped form count as the same client. */
export function sourceKey(address: string | undefined): string | undefined {
  if (address === undefined) return undefined;
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
