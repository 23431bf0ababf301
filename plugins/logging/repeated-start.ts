import type { ServiceLogEvent } from '../../core/log-event.js';

/**
 * One service's last START record. The next one with the same pid, from the same address, in
 * the same second has the same text (every datagram of a busy client: pid is 0), so it reuses
 * it: no formatting, and the FILE batch joins one flat string instead of a new rope per record.
 */
export class RepeatedStart {
  #second = -1;
  #address: string | undefined = undefined;
  #pid = -1;
  /** The record without timestamp (syslog), or undefined when the flags ask for none. */
  line: string | undefined = undefined;
  /** The FILE record: timestamp, record, newline. */
  fileText = '';

  /** True when `event` is a START record with the remembered text. */
  repeats(event: ServiceLogEvent): boolean {
    return event.kind === 'start' && event.pid === this.#pid && event.conn.peer?.address === this.#address && Math.floor(event.time / 1000) === this.#second;
  }

  /** Remember a START record's text (other records are ignored). */
  remember(event: ServiceLogEvent, line: string | undefined, fileText: string): void {
    if (event.kind !== 'start') return;
    this.#second = Math.floor(event.time / 1000);
    this.#address = event.conn.peer?.address;
    this.#pid = event.pid;
    this.line = line;
    this.fileText = fileText;
  }
}
