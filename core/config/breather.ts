/**
 * Long synchronous work split into slices: `breathe()` yields to the event loop once the
 * current slice has run for `sliceMs`, so resolving a large configuration during a reload never
 * keeps the daemon from accepting for long (docs/performance.md).
 */
export class Breather {
  readonly #sliceMs: number;
  #sliceStart = performance.now();

  constructor(sliceMs: number) {
    this.#sliceMs = sliceMs;
  }

  /** Resolves at once inside a slice; after a setImmediate when the slice is used up. */
  breathe(): Promise<void> | undefined {
    if (performance.now() - this.#sliceStart < this.#sliceMs) return undefined;
    return new Promise((resolve) => setImmediate(() => {
      this.#sliceStart = performance.now();
      resolve();
    }));
  }
}
