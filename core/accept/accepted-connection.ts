import net from 'node:net';
import type { Connection, Endpoint } from '../connection.js';
import type { ServiceConfig } from '../service-config.js';
import type { ServiceState } from '../service-state.js';
import type { NativeAccept } from './native.js';

const EAGAIN = -11;

const isWildcard = (address: string) => address === '0.0.0.0' || address === '::';

/**
 * A stream connection taken by the native acceptor: a descriptor and the peer's address, and
 * nothing else until somebody needs more. `socket` makes the net.Socket (paused, as after
 * net.Server's pauseOnConnect) on first use; `local` asks the kernel on first use. A service
 * that only answers (daytime, time) or a refused client never costs a stream object.
 *
 * The descriptor belongs to this object until `socket` is taken, then to the socket.
 */
export class AcceptedConnection implements Connection {
  readonly datagram = undefined;
  readonly waiting = undefined;
  #fd: number;
  #socket: net.Socket | undefined;
  #local: Endpoint | undefined;
  readonly #listening: Endpoint;

  readonly #native: NativeAccept;

  constructor(
    native: NativeAccept,
    readonly id: number,
    readonly service: ServiceConfig,
    readonly state: ServiceState,
    fd: number,
    readonly peer: Endpoint,
    readonly startedAt: number,
    listening: Endpoint,
  ) {
    this.#listening = listening;
    this.#native = native;
    this.#fd = fd;
  }

  get descriptor(): number | undefined {
    return this.#fd >= 0 ? this.#fd : undefined;
  }

  /**
   * A listener bound to one address knows it without asking; a wildcard one asks the kernel
   * (before the descriptor is closed: records are formatted after an answer has been sent).
   */
  get local(): Endpoint | undefined {
    if (this.#local === undefined) {
      if (!isWildcard(this.#listening.address)) this.#local = this.#listening;
      else if (this.#fd >= 0) {
        const endpoint = this.#native.localEndpoint(this.#fd);
        if (endpoint) this.#local = { address: endpoint[0], port: endpoint[1] };
      }
    }
    return this.#local;
  }

  get socket(): net.Socket {
    return this.#socket ?? this.#makeSocket(undefined);
  }

  /**
   * Make the stream so that reads go into `buffer` (Node's `onread`, no allocation per read)
   * and to `onChunk` (a view of `buffer`; false stops reading until `socket.resume()`).
   * undefined when the socket exists already: its reads come as 'data' events.
   */
  socketReadingInto(buffer: Buffer, onChunk: (chunk: Buffer) => boolean | void): net.Socket | undefined {
    if (this.#socket) return undefined;
    return this.#makeSocket({ buffer, callback: (n: number, buf: Buffer) => onChunk(buf.subarray(0, n)) });
  }

  #makeSocket(onread: { buffer: Buffer; callback(n: number, buf: Buffer): boolean | void } | undefined): net.Socket {
    if (this.#fd < 0) throw new Error(`connection ${this.id} is already closed`);
    const socket = new net.Socket({ fd: this.#fd, readable: true, writable: true, pauseOnCreate: true, ...(onread ? { onread } : {}) } as net.SocketConstructorOpts);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => (this.#fd = -1));
    if (this.#local === undefined) void this.local; // the socket may be closed before a record asks
    this.#socket = socket;
    return socket;
  }

  /**
   * Hand the descriptor over (to the launcher) when no stream was made for it: the caller owns
   * it from now on. undefined when a socket exists (use it) or the connection is closed.
   */
  takeDescriptor(): number | undefined {
    if (this.#socket || this.#fd < 0) return undefined;
    if (this.#local === undefined) void this.local; // records may ask after the hand-over
    const fd = this.#fd;
    this.#fd = -1;
    return fd;
  }

  /** Send `data` and close (the core's answer-and-close, used by daytime and time). */
  answer(data: Uint8Array): void {
    if (this.#socket) {
      this.#socket.end(data);
      this.#socket.destroySoon();
      return;
    }
    if (this.#fd < 0) return;
    const sent = data.length === 0 ? 0 : this.#native.answer(this.#fd, data);
    if (sent === data.length || (sent < 0 && sent !== EAGAIN)) {
      this.close();
      return;
    }
    // A full send buffer (only for a large answer): the rest goes through a stream.
    const socket = this.socket;
    socket.end(sent > 0 ? data.subarray(sent) : data);
    socket.destroySoon();
  }

  /** Close without a word (a refused client). */
  close(): void {
    if (this.#socket) {
      this.#socket.end();
      this.#socket.destroySoon();
      return;
    }
    if (this.#fd < 0) return;
    if (this.#local === undefined) void this.local;
    this.#native.close(this.#fd);
    this.#fd = -1;
  }
}

/** See AcceptedConnection.socketReadingInto; undefined for other connections or an existing socket. */
export function readingInto(conn: Connection, buffer: Buffer, onChunk: (chunk: Buffer) => boolean | void): net.Socket | undefined {
  return conn instanceof AcceptedConnection ? conn.socketReadingInto(buffer, onChunk) : undefined;
}

/** The bare descriptor of a natively accepted connection with no stream made yet (see takeDescriptor). */
export function takeDescriptor(conn: Connection): number | undefined {
  return conn instanceof AcceptedConnection ? conn.takeDescriptor() : undefined;
}
