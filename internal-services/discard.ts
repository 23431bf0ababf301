import type { InternalServiceSpec } from './define.js';

/** discard: read and drop until EOF (stream); no reply (dgram). */
export const discard: InternalServiceSpec = {
  name: 'discard',
  stream: (socket) => {
    // Flowing with no 'data' listener: Node reads and drops each chunk.
    socket.resume();
  },
  dgram: () => undefined,
};
