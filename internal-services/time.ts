import type { InternalServiceSpec } from './define.js';

/** Seconds between 1900-01-01 and 1970-01-01 (RFC 868). */
const EPOCH_1900 = 2208988800;

/** RFC 868 time: seconds since 1900, truncated to 32 bits, big-endian (reference 10.1). */
export function timeBytes(now = Date.now()): Buffer {
  const out = Buffer.allocUnsafe(4);
  out.writeUInt32BE((Math.floor(now / 1000) + EPOCH_1900) % 0x1_0000_0000);
  return out;
}

/** time: 4 bytes then close (stream); 4 bytes as the reply (dgram). Never forks in xinetd. */
export const time: InternalServiceSpec = {
  name: 'time',
  stream: { mode: 'reply', answer: () => timeBytes() },
  dgram: (datagram) => datagram.reply(timeBytes()),
};
