import dgram from 'node:dgram';
import net from 'node:net';
import { nativeAccept } from './accept/native.js';
import { NativeDatagramSocket } from './accept/native-datagrams.js';
import { NativeListener } from './accept/native-listener.js';
import type { ServiceConfig } from './service-config.js';

/**
 * The listening socket of one service: the native acceptor (stream, the daemon accepts), a
 * net.Server (stream, without the native addon, or handed to the launcher for wait = yes), or
 * a dgram socket.
 */
export type ListenHandle =
  | { readonly kind: 'accept'; readonly listener: NativeListener }
  | { readonly kind: 'stream'; readonly server: net.Server }
  | { readonly kind: 'receive'; readonly socket: NativeDatagramSocket }
  | { readonly kind: 'dgram'; readonly socket: dgram.Socket };

export interface ListenHandlers {
  /** A connection from the native acceptor: its descriptor and the peer's address. */
  accepted(fd: number, address: string, port: number, listener: NativeListener): void;
  /** A connection from net.Server (no native acceptor). */
  connection(socket: net.Socket): void;
  /**
   * `replyToken` and `receivedAt` (epoch ms): from the native receive path; the token lets a
   * reply leave with its batch (NativeDatagramSocket.send).
   */
  datagram(data: Buffer, address: string, port: number, replyToken?: number, receivedAt?: number): void;
  /** Accept errors (EMFILE...) after the socket is listening. */
  error(error: NodeJS.ErrnoException): void;
}

export function hostFor(config: ServiceConfig): string {
  if (config.bind) return config.bind;
  return config.family === 'IPv4' ? '0.0.0.0' : '::';
}

/**
 * Bind a service's socket. IPv6 services are dual-stack unless `v6only = yes`, whatever the
 * bindv6only sysctl says (xinetd sets IPV6_V6ONLY explicitly).
 */
export async function listen(config: ServiceConfig, handlers: ListenHandlers, { accept = true } = {}): Promise<ListenHandle> {
  const host = hostFor(config);
  // Closures below use `port`, not `config.port`: the datagram handler lives as long as the
  // socket, and naming `config` in any closure here would keep this configuration alive past a reload.
  const port = config.port;
  const ipv6Only = config.family === 'IPv6' && config.v6only === true;
  if (config.socketType === 'stream' && accept && nativeAccept) {
    const listener = NativeListener.create(nativeAccept, {
      family: config.family === 'IPv4' ? 4 : 6,
      address: host,
      port,
      v6only: ipv6Only,
      nodelay: config.flags.has('NODELAY'),
      keepalive: config.flags.has('KEEPALIVE'),
    }, handlers.accepted, handlers.error);
    if (listener) return { kind: 'accept', listener };
  }
  if (config.socketType === 'stream') {
    const server = net.createServer({
      noDelay: config.flags.has('NODELAY'),
      keepAlive: config.flags.has('KEEPALIVE'),
      // Nothing may be read before the server gets the descriptor; in-process services resume.
      pauseOnConnect: true,
    });
    if (accept) server.on('connection', handlers.connection);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port, ipv6Only, backlog: 511, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', handlers.error);
    return { kind: 'stream', server };
  }
  if (accept && nativeAccept) {
    const socket = NativeDatagramSocket.create(nativeAccept, { family: config.family === 'IPv4' ? 4 : 6, address: host, port, v6only: ipv6Only }, handlers.datagram);
    if (socket) return { kind: 'receive', socket };
  }
  const socket = dgram.createSocket({ type: config.family === 'IPv4' ? 'udp4' : 'udp6', reuseAddr: true, ipv6Only });
  if (accept) socket.on('message', (data: Buffer, rinfo: dgram.RemoteInfo) => handlers.datagram(data, rinfo.address, rinfo.port));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ address: host, port, exclusive: true }, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  socket.on('error', handlers.error);
  return { kind: 'dgram', socket };
}

export function closeHandle(handle: ListenHandle): Promise<void> {
  return new Promise((resolve) => {
    // The listening descriptor is closed at once; server.close()'s callback would also wait for
    // every accepted connection, which the daemon tracks as sessions instead.
    if (handle.kind === 'accept' || handle.kind === 'receive') {
      if (handle.kind === 'accept') handle.listener.close();
      else handle.socket.close();
      setImmediate(resolve);
    }
    else if (handle.kind === 'stream') {
      handle.server.close();
      setImmediate(resolve);
    }
    else {
      try {
        handle.socket.close(() => resolve());
      } catch {
        resolve();
      }
    }
  });
}

export function boundPort(handle: ListenHandle): number {
  if (handle.kind === 'accept') return handle.listener.port();
  if (handle.kind === 'receive') return handle.socket.endpoint.port;
  return handle.kind === 'stream'
    ? (handle.server.address() as net.AddressInfo).port
    : handle.socket.address().port;
}
