import { readingInto } from '../core/accept/accepted-connection.js';
import { answerAndClose } from '../core/answer.js';
import type { Connection } from '../core/connection.js';
import type { Daemon } from '../core/daemon.js';
import type { ServiceConfig, SocketType } from '../core/service-config.js';
import type { Session } from '../core/session.js';
import type { InternalContext, InternalServiceSpec, StreamHandler } from './define.js';
import { REPLY_SESSION, socketSession } from './sessions.js';

/** How one configured internal service answers a connection, fixed at configuration time. */
export type Serve = (conn: Connection) => Session | undefined;

/**
 * The handler answers at once and closes, as xinetd's in-process (non-forking) builtins do:
 * every datagram, and stream handlers in `reply` mode (daytime, time).
 */
export function answersAtOnce(spec: InternalServiceSpec<unknown> | undefined, socketType: SocketType): boolean {
  if (socketType === 'dgram') return spec?.dgram !== undefined;
  const stream = spec?.stream;
  return stream !== undefined && typeof stream !== 'function' && stream.mode === 'reply';
}

/** Bind a registered handler to one service: the per-connection path is a single call. */
export function bindService(spec: InternalServiceSpec<unknown>, service: ServiceConfig, daemon: Daemon, data: unknown): Serve | undefined {
  const ctx: InternalContext<unknown> = Object.freeze({ daemon, service, data });
  if (service.socketType === 'dgram') {
    const handler = spec.dgram;
    if (!handler) return undefined;
    return (conn) => {
      if (!conn.datagram) return undefined;
      handler(conn.datagram, ctx, conn);
      return REPLY_SESSION;
    };
  }
  if (!spec.stream) return undefined;
  const handler: StreamHandler<unknown> = typeof spec.stream === 'function' ? { mode: 'session', serve: spec.stream } : spec.stream;
  if ('answer' in handler) {
    const answer = handler.answer;
    // Asking for conn.socket would make the stream object this path exists to avoid.
    return (conn) => {
      if (conn.datagram || conn.waiting) return undefined;
      answerAndClose(conn, answer(ctx, conn));
      return REPLY_SESSION;
    };
  }
  if ('reads' in handler) {
    const { buffer, reads } = handler;
    return (conn) => {
      if (conn.datagram || conn.waiting) return undefined;
      let onChunk: (chunk: Buffer) => boolean | void = () => undefined;
      const made = readingInto(conn, buffer(ctx, conn), (chunk) => onChunk(chunk));
      const socket = made ?? conn.socket;
      if (!socket) return undefined;
      const session = socketSession(socket);
      onChunk = reads(socket, ctx, conn);
      if (!made) socket.on('data', (chunk: Buffer) => onChunk(chunk) === false && socket.pause());
      socket.resume();
      return session;
    };
  }
  const { mode, serve } = handler;
  if (mode === 'reply') {
    return (conn) => {
      if (!conn.socket) return undefined;
      serve(conn.socket, ctx, conn);
      return REPLY_SESSION;
    };
  }
  return (conn) => {
    const socket = conn.socket;
    if (!socket) return undefined;
    const session = socketSession(socket);
    serve(socket, ctx, conn);
    return session;
  };
}
