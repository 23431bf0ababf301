import type { Socket } from 'node:net';
import type { ServiceConfig } from './service-config.js';
import type { ServiceState } from './service-state.js';
import type { WatchedSocket } from './launcher/launcher.js';

export interface Endpoint {
  /** Numeric address as xinetd prints it (`::ffff:127.0.0.1` on dual-stack sockets). */
  readonly address: string;
  readonly port: number;
}

/** One received datagram of a datagram service served by the daemon itself. */
export interface Datagram {
  readonly data: Buffer;
  /** Send a reply to the source (dropped by the echo-storm guard for service ports). */
  reply(data: Uint8Array): void;
}

/**
 * One accepted stream connection, one datagram, or (wait = yes services) one "the socket is
 * readable" event from the launcher. Built by the core; plugins read it and keep their own
 * per-connection data in a WeakMap keyed by it.
 */
export interface Connection {
  readonly id: number;
  /** The configuration in force when the connection arrived; a reload never changes it. */
  readonly service: ServiceConfig;
  /** Live counters of the service (instances, per-source), kept by the core. */
  readonly state: ServiceState;
  /** undefined for stream wait = yes services (xinetd logs `<no address>`). */
  readonly peer: Endpoint | undefined;
  readonly local: Endpoint | undefined;
  /** Epoch milliseconds. */
  readonly startedAt: number;
  /**
   * The service whose socket accepted this connection, when it is not `service`: tcpmux, which
   * handed the client over. The accept-time steps (`banner`) were that service's, not this one's.
   */
  readonly acceptedBy?: ServiceConfig;
  /**
   * stream, wait = no: the accepted socket, PAUSED (nothing read yet): a spawned server gets
   * the bytes; an in-process service calls `socket.resume()`. Made on first use (connections
   * are accepted as bare descriptors): read it only when the stream is really needed, and
   * tell a stream connection by the absence of `datagram` and `waiting`.
   */
  readonly socket?: Socket;
  /** stream, wait = no: the accepted socket's descriptor number, when known (never close it). */
  readonly descriptor?: number;
  /** dgram served in the daemon: the datagram. */
  readonly datagram?: Datagram;
  /** wait = yes external services: the socket the launcher watches. */
  readonly waiting?: WatchedSocket;
}

/** The text xinetd writes after `from=`. */
export function peerText(conn: Connection): string {
  return conn.peer?.address ?? '<no address>';
}
