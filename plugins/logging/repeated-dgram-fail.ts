import type { ServiceLogEvent } from '../../core/log-event.js';

/** xinetd's DGRAM_IGNORE_TIME. */
export const DGRAM_IGNORE_MS = 60_000;

/**
 * One service's last logged address refusal of a datagram (xinetd's svc_last_dgram_addr): UDP
 * clients retry when no answer comes, so xinetd writes no FAIL record for a refusal from the
 * same address and port within 60 s of the one it logged. Only the `address` reason (only_from,
 * no_access, SENSOR), as xinetd; one source per service, so the memory is constant.
 */
export class RepeatedDgramFail {
  #address: string | undefined = undefined;
  #port = -1;
  #loggedAt = 0;

  /** True when `event` is such a repeat; otherwise remembers it if it is an address refusal. */
  silences(event: ServiceLogEvent): boolean {
    if (event.kind !== 'fail' || event.refusal.code !== 'address' || event.conn.service.socketType !== 'dgram') return false;
    const peer = event.conn.peer;
    if (!peer) return false;
    // The window runs from the logged record: silenced repeats do not extend it (as xinetd).
    if (peer.address === this.#address && peer.port === this.#port && event.time - this.#loggedAt < DGRAM_IGNORE_MS) return true;
    this.#address = peer.address;
    this.#port = peer.port;
    this.#loggedAt = event.time;
    return false;
  }
}
