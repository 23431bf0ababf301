import type { Socket } from 'node:net';
import type { InternalServiceSpec } from './define.js';

/** `!` (0x21) to `}` (0x7D): 93 characters; `~` and space never appear (xinetd's ring). */
const CHARS = 93;
const LINE = 72;
/** Line starts cycle over 0..94 (the ring is 94 + 72 bytes long): 95 distinct lines. */
const STARTS = 95;
const LINE_BYTES = LINE + 2;

const ring = Buffer.alloc(94 + LINE);
for (let i = 0; i < ring.length; i++) ring[i] = 0x21 + (i % CHARS);

function lineAt(start: number): Buffer {
  return Buffer.concat([ring.subarray(start, start + LINE), Buffer.from('\r\n')]);
}

/** One full period of lines, repeated: any chunk of whole periods is a subarray of it. */
const PERIODS_PER_WRITE = 9;
const CHUNK_BYTES = STARTS * LINE_BYTES * PERIODS_PER_WRITE;
const lines = Buffer.concat(Array.from({ length: STARTS }, (_, i) => lineAt(i)));
const cycle = Buffer.concat(Array.from({ length: PERIODS_PER_WRITE + 1 }, () => lines));

/** The daemon's ring position: datagrams advance it; a stream starts where it is (reference 10.1). */
let position = 0;

/** A datagram reply: exactly 1024 bytes (13 lines of 72 + CRLF, then one of 60 + CRLF). */
export function chargenDatagram(): Buffer {
  const out = Buffer.allocUnsafe(1024);
  let at = 0;
  while (1024 - at > 2) {
    const len = Math.min(LINE_BYTES, 1024 - at) - 2;
    ring.copy(out, at, position, position + len);
    out[at + len] = 0x0d;
    out[at + len + 1] = 0x0a;
    at += len + 2;
    position = position + 1 === STARTS ? 0 : position + 1;
  }
  return out;
}

/** At most this many writes per event-loop turn, so a fast reader cannot starve the daemon. */
const WRITES_PER_TURN = 16;

function pump(socket: Socket, chunk: Buffer): void {
  for (let i = 0; i < WRITES_PER_TURN; i++) {
    if (socket.destroyed) return;
    // false: the kernel is full and Node holds one chunk; 'drain' resumes us (bounded memory).
    if (!socket.write(chunk)) return;
  }
  setImmediate(pump, socket, chunk);
}

/**
 * chargen. Stream: 74-byte lines until the client goes away; nothing is read (xinetd shuts the
 * reading side down). Writes follow back-pressure. Dgram: one 1024-byte reply.
 */
export const chargen: InternalServiceSpec = {
  name: 'chargen',
  stream: (socket) => {
    const chunk = cycle.subarray(position * LINE_BYTES, position * LINE_BYTES + CHUNK_BYTES);
    socket.on('drain', () => pump(socket, chunk));
    pump(socket, chunk);
  },
  dgram: (datagram) => datagram.reply(chargenDatagram()),
};
