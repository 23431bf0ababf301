import type { InternalServiceSpec } from './define.js';

/** xinetd reads a datagram into a 2048-byte buffer: longer ones are echoed truncated. */
const DATAGRAM_SIZE = 2048;

/**
 * echo. Stream: every byte back until EOF, binary-safe; `pipe` pauses reading while the client
 * is not reading what we send, so memory per connection stays bounded. Dgram: the datagram back.
 */
export const echo: InternalServiceSpec = {
  name: 'echo',
  stream: (socket) => {
    socket.pipe(socket);
  },
  dgram: (datagram) => datagram.reply(datagram.data.length > DATAGRAM_SIZE ? datagram.data.subarray(0, DATAGRAM_SIZE) : datagram.data),
};
