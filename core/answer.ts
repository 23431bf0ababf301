import { AcceptedConnection } from './accept/accepted-connection.js';
import type { Connection } from './connection.js';

/**
 * Write a short answer to a stream connection and close it, as xinetd's daytime and time do.
 * On a connection from the native acceptor this is one send() and one close(), with no stream
 * object made; otherwise the socket is ended once the answer is flushed.
 */
export function answerAndClose(conn: Connection, data: Uint8Array | string): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
  if (conn instanceof AcceptedConnection) {
    conn.answer(bytes);
    return;
  }
  const socket = conn.socket;
  if (!socket) return;
  socket.end(bytes);
  socket.destroySoon();
}
