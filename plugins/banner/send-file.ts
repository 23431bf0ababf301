import { openRegularFile } from '../../core/regular-file.js';
import type { Socket } from 'node:net';

export type SendResult = 'sent' | 'unreadable' | 'stalled' | 'closed';

const CHUNK = 16 * 1024;

/** Resolves when the socket's buffer is empty again, it closes, or the deadline passes. */
export function flushed(socket: Socket, deadline: number): Promise<boolean> {
  if (socket.destroyed) return Promise.resolve(false);
  if (socket.writableLength === 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.off('drain', onDrain);
      socket.off('close', onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    const timer = setTimeout(() => done(false), Math.max(0, deadline - Date.now()));
    socket.on('drain', onDrain);
    socket.on('close', onClose);
  });
}

/**
 * Copy a file to the client byte for byte, read at use time in small chunks. Back-pressure
 * aware and bounded: at most one chunk is buffered beyond the socket's own buffer, and a client
 * that does not read by `deadline` makes this give up ('stalled') instead of holding anything.
 */
export async function sendFile(socket: Socket, path: string, deadline: number): Promise<SendResult> {
  let file;
  try {
    // A FIFO would hold a thread-pool thread until a writer came (every file and DNS call waits behind four).
    file = await openRegularFile(path);
  } catch {
    return 'unreadable';
  }
  try {
    const buffer = Buffer.alloc(CHUNK);
    for (;;) {
      if (socket.destroyed) return 'closed';
      const { bytesRead } = await file.read(buffer, 0, CHUNK, null);
      if (bytesRead === 0) return 'sent';
      if (!socket.write(Buffer.from(buffer.subarray(0, bytesRead))) && !(await flushed(socket, deadline))) {
        return socket.destroyed ? 'closed' : 'stalled';
      }
    }
  } catch {
    return 'unreadable';
  } finally {
    await file.close();
  }
}
