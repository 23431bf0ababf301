import { sourceKey } from '../../core/service-state.js';

export const MAX_ENTRIES = 10240;

export interface DenyEntry {
  /** Epoch ms; Infinity for FOREVER. */
  readonly until: number;
  /** Which sensor added it (`id (file:line)`). */
  readonly by: string;
}

/**
 * The daemon-wide list of addresses that touched a sensor (xinetd's global_no_access). An
 * IPv4 client and its IPv4-mapped form are one entry. Bounded; a repeat hit does not extend.
 */
export class DenyList {
  readonly #entries = new Map<string, DenyEntry>();

  get size(): number {
    return this.#entries.size;
  }

  /** 'added', 'present' (already listed) or 'full'. */
  add(address: string, until: number, by: string): 'added' | 'present' | 'full' {
    const key = sourceKey(address)!;
    const cur = this.#entries.get(key);
    if (cur && cur.until > Date.now()) return 'present';
    if (!cur && this.#entries.size >= MAX_ENTRIES) return 'full';
    this.#entries.set(key, { until, by });
    return 'added';
  }

  /** Nothing listed: the per-connection check can stop here. */
  get isEmpty(): boolean {
    return this.#entries.size === 0;
  }

  find(address: string, now: number): DenyEntry | undefined {
    const entry = this.#entries.get(sourceKey(address)!);
    return entry && entry.until > now ? entry : undefined;
  }

  /** Remove expired entries; returns how many went. */
  sweep(now: number): number {
    let n = 0;
    for (const [k, e] of this.#entries) {
      if (e.until <= now) {
        this.#entries.delete(k);
        n++;
      }
    }
    return n;
  }
}
