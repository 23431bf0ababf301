/**
 * One Set object per distinct content within one resolved configuration. A thousand services
 * that inherit `log_on_success` or say `type = UNLISTED` would otherwise each keep an equal Set
 * (about 150 bytes) for as long as the configuration lives, and V8 lets the heap grow to a
 * multiple of what is live before it collects again. Sharing is invisible: resolved values are
 * ReadonlySets, never written after resolve.
 */
export class SharedSets {
  readonly #seen = new Map<string, ReadonlySet<string>>();

  /** `value` itself unless it is a plain Set of strings; then the first equal one seen under `kind`. */
  share<T>(kind: string, value: T): T {
    if (!(value instanceof Set) || value.constructor !== Set) return value;
    for (const item of value) if (typeof item !== 'string') return value;
    // Insertion order is part of the content: a shared Set iterates like the one it replaces.
    const key = JSON.stringify([kind, ...(value as Set<string>)]);
    const seen = this.#seen.get(key);
    if (seen) return seen as T;
    this.#seen.set(key, value as ReadonlySet<string>);
    return value;
  }
}
