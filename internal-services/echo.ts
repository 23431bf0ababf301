import type { InternalServiceSpec } from './define.js';

/** xinetd reads a datagram into a 2048-byte buffer: longer ones are echoed truncated. */
const DATAGRAM_SIZE = 2048;
/** What one stream connection reads into, reused for every read of that connection. */
const STREAM_BUFFER = 64 * 1024;

/**
 * echo. Stream: every byte back until EOF, binary-safe. Each read lands in the connection's own
 * buffer; while the kernel has not taken all of a write, reading stops (the next read would
 * overwrite the bytes still to send, and a client that does not read must not make the daemon
 * buffer), and resumes on 'drain'. EOF ends our side after the last byte (allowHalfOpen is off).
 * Dgram: the datagram back.
 */
export const echo: InternalServiceSpec = {
  name: 'echo',
  stream: {
    mode: 'session',
    buffer: () => Buffer.allocUnsafe(STREAM_BUFFER),
    reads: (socket) => {
      const resume = () => socket.resume();
      return (chunk) => {
        socket.write(chunk);
        if (socket.writableLength === 0) return true;
        socket.once('drain', resume);
        return false;
      };
    },
  },
  dgram: (datagram) => datagram.reply(datagram.data.length > DATAGRAM_SIZE ? datagram.data.subarray(0, DATAGRAM_SIZE) : datagram.data),
};
