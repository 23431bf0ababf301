/** Milliseconds from any fixed origin; only differences are used. */
export type Clock = () => number;

export const monotonicClock: Clock = () => performance.now();

/**
 * xinetd's per-service connection-rate window (reference 7.3), pure and driven by an injected
 * clock. Times are whole seconds, as xinetd's time(NULL). The window restarts once it is RATE
 * seconds old; inside it, count / max(1, elapsed) > RATE trips. A trip does not reset it.
 */
export class CpsWindow {
  readonly #rate: number;
  readonly #clock: Clock;
  #start = 0;
  #count = 0;

  constructor(rate: number, clock: Clock = monotonicClock) {
    this.#rate = rate;
    this.#clock = clock;
  }

  /**
   * Count one connection (or datagram) that arrived at `atMs` (default: the clock's now); true
   * when it exceeds the rate.
   */
  hit(atMs: number = this.#clock()): boolean {
    const now = Math.floor(atMs / 1000);
    const elapsed = now - this.#start;
    // A clock that went backwards restarts the window rather than tripping.
    if (this.#count === 0 || elapsed >= this.#rate || elapsed < 0) {
      this.#start = now;
      this.#count = 1;
      return false;
    }
    this.#count++;
    return Math.floor(this.#count / Math.max(1, elapsed)) > this.#rate;
  }
}
