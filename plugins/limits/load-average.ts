import { readFile } from 'node:fs/promises';
import { monotonicClock, type Clock } from './cps-window.js';

export const LOADAVG_FILE = '/proc/loadavg';

/**
 * The first figure of /proc/loadavg, read at most once per `maxAgeMs` and never more than once
 * at a time, so a connection burst costs one read. An unreadable file reads as -1 (xinetd's
 * getloadavg failure value: nothing is refused because of it).
 */
export class LoadAverage {
  readonly #path: string;
  readonly #maxAgeMs: number;
  readonly #clock: Clock;
  readonly #onError: (message: string) => void;
  #value = -1;
  #readAt = Number.NEGATIVE_INFINITY;
  #reading: Promise<number> | undefined;
  #reported = false;

  constructor(options: { path?: string; maxAgeMs?: number; clock?: Clock; onError?: (message: string) => void } = {}) {
    this.#path = options.path ?? LOADAVG_FILE;
    this.#maxAgeMs = options.maxAgeMs ?? 1000;
    this.#clock = options.clock ?? monotonicClock;
    this.#onError = options.onError ?? (() => undefined);
  }

  current(): Promise<number> | number {
    if (this.#clock() - this.#readAt < this.#maxAgeMs) return this.#value;
    this.#reading ??= this.#read().finally(() => (this.#reading = undefined));
    return this.#reading;
  }

  async #read(): Promise<number> {
    let value = -1;
    try {
      const first = Number((await readFile(this.#path, 'latin1')).trimStart().split(/\s/, 1)[0]);
      if (!Number.isFinite(first)) throw new Error(`no load average in ${this.#path}`);
      value = first;
      this.#reported = false;
    } catch (error) {
      if (!this.#reported) this.#onError(`cannot read the load average: ${(error as Error).message}`);
      this.#reported = true;
    }
    this.#value = value;
    this.#readAt = this.#clock();
    return value;
  }
}
