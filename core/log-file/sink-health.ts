import type { DaemonLevel } from '../log-event.js';

export type Report = (level: DaemonLevel, text: string) => void;

/**
 * The failure state of one sink: a problem is reported once, records lost meanwhile are
 * counted, and the recovery is reported once with that count.
 */
export class SinkHealth {
  readonly #name: string;
  readonly #report: Report;
  readonly #meanwhile: string;
  #failing = false;
  #lost = 0;

  constructor(name: string, report: Report, meanwhile = 'records are dropped until it recovers') {
    this.#name = name;
    this.#report = report;
    this.#meanwhile = meanwhile;
  }

  get failing(): boolean {
    return this.#failing;
  }

  failed(reason: string): void {
    if (this.#failing) return;
    this.#failing = true;
    this.#report('error', `${this.#name}: ${reason}; ${this.#meanwhile}`);
  }

  lost(n = 1): void {
    this.#lost += n;
  }

  recovered(): void {
    if (!this.#failing) return;
    this.#failing = false;
    this.#report('notice', `${this.#name}: recovered (${this.#lost} record${this.#lost === 1 ? '' : 's'} lost)`);
    this.#lost = 0;
  }
}
