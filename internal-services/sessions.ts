import type { Socket } from 'node:net';
import type { Session, SessionEnd } from '../core/session.js';

const ENDED: SessionEnd = Object.freeze({ status: 0 });
const noop = (): void => undefined;

/**
 * The session of a short in-process answer (stream daytime and time, every datagram): xinetd
 * serves these without forking, so they are not counted and get no EXIT record. One shared,
 * frozen object: the hot path allocates nothing for it.
 */
export const REPLY_SESSION: Session = Object.freeze({
  pid: 0,
  done: Promise.resolve(ENDED),
  stop: noop,
  logExit: false,
  counted: false,
});

/** A long in-process stream session: counted like a forked server, ends when the socket closes. */
export function socketSession(socket: Socket): Session {
  const done = new Promise<SessionEnd>((resolve) => {
    if (socket.destroyed) resolve(ENDED);
    else socket.once('close', () => resolve(ENDED));
  });
  return { pid: 0, done, stop: () => socket.destroy() };
}
