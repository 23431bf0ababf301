import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import net from 'node:net';
import { waitFor } from './wait.js';

/**
 * Ports this process has handed out: the kernel may give the same free port to two calls in a
 * row (the first one's socket is closed by then; measured: 2 of 3,000 calls returned one of the
 * previous five), and a test that asks for several ports at once needs them distinct.
 */
const handedOut = new Set<number>();

/**
 * Where test ports come from: below the kernel's ephemeral range, so that no client socket of
 * any test (they get ephemeral ports when they connect) can take a port between the moment it is
 * found free and the moment a daemon binds it. Undefined when that range is too small here.
 */
const testPorts: { low: number; high: number } | undefined = (() => {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return low !== undefined && low - 10_240 >= 4096 ? { low: 10_240, high: low } : undefined;
  } catch {
    return undefined;
  }
})();

/** Listen on TCP port (0: the kernel's choice) of '::'; the bound port, or undefined when taken. */
async function tcpListen(port: number): Promise<{ server: net.Server; port: number } | undefined> {
  const server = net.createServer();
  const ok = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '::', () => resolve(true));
  });
  return ok ? { server, port: (server.address() as net.AddressInfo).port } : undefined;
}

/** A port free for both TCP and UDP on loopback right now, never one this process got before. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const wanted = testPorts ? testPorts.low + Math.floor(Math.random() * (testPorts.high - testPorts.low)) : 0;
    if (handedOut.has(wanted)) continue;
    const tcp = await tcpListen(wanted);
    if (!tcp) continue;
    const { server, port } = tcp;
    if (handedOut.has(port)) {
      server.close();
      continue;
    }
    const udp = dgram.createSocket('udp6');
    const ok = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, '::', () => resolve(true));
    });
    udp.close();
    server.close();
    if (ok) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no free port found');
}

/**
 * Connect to 127.0.0.1:port (or `host`), bounded by `ms`; rejects on a refusal, a close before the
 * connection is made, or the timeout. Errors after that are ignored: `closed` tells the end.
 */
export async function connectWatched(port: number, options: { host?: string; localAddress?: string; ms?: number } = {}): Promise<{ socket: net.Socket; closed: Promise<void> }> {
  const socket = net.connect({ port, host: options.host ?? '127.0.0.1', localAddress: options.localAddress });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined);
  const timer = setTimeout(() => socket.destroy(new Error(`connect to ${port} timed out`)), options.ms ?? 5000);
  try {
    await Promise.race([once(socket, 'connect'), closed.then(() => Promise.reject(new Error(`connection to ${port} closed before connect`)))]);
  } finally {
    clearTimeout(timer);
  }
  return { socket, closed };
}

/** Connect, optionally send, and read until the server closes (bounded by `ms`). */
export async function exchange(port: number, send?: string | Buffer, options: { host?: string; ms?: number; localAddress?: string; endAfterSend?: boolean } = {}): Promise<Buffer> {
  const socket = net.connect({ port, host: options.host ?? '127.0.0.1', localAddress: options.localAddress });
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  const timer = setTimeout(() => socket.destroy(new Error(`no EOF from port ${port} (local ${options.localAddress}) within ${options.ms ?? 5000} ms`)), options.ms ?? 5000);
  try {
    await once(socket, 'connect');
    if (send !== undefined) {
      socket.write(send);
      if (options.endAfterSend !== false) socket.end();
    }
    await once(socket, 'close');
    return Buffer.concat(chunks);
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
}

/** Send one datagram and wait for one reply (bounded). */
export async function datagram(port: number, data: string | Buffer, options: { host?: string; ms?: number } = {}): Promise<Buffer> {
  const host = options.host ?? '127.0.0.1';
  const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
  try {
    const reply = once(socket, 'message') as Promise<[Buffer]>;
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no datagram reply from ${port}`)), options.ms ?? 3000).unref());
    socket.send(data, port, host);
    const [msg] = await Promise.race([reply, timeout]);
    return msg;
  } finally {
    socket.close();
  }
}

/** Resolve once a TCP server accepts connections on host:port (bounded by `ms`). */
export async function waitForTcp(host: string, port: number, options: { ms?: number; everyMs?: number; alive?: () => void } = {}): Promise<void> {
  await waitFor(`a TCP server on ${host}:${port}`, async () => {
    options.alive?.();
    const s = net.connect(port, host);
    s.on('error', () => undefined);
    try {
      await once(s, 'connect');
      return true;
    } catch {
      return undefined;
    } finally {
      s.destroy();
    }
  }, { ms: options.ms ?? 10_000, everyMs: options.everyMs ?? 50 });
}

/** Send one datagram and expect no reply; resolves once the kernel took it (on loopback: queued at the receiver). */
export async function sendDatagram(port: number, data: string | Buffer, options: { host?: string } = {}): Promise<void> {
  const host = options.host ?? '127.0.0.1';
  const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((resolve, reject) => socket.send(data, port, host, (error) => (error ? reject(error) : resolve())));
  } finally {
    socket.close();
  }
}

/** Bytes queued for reading on the UDP sockets bound to `port` (/proc/net/udp and udp6), 0 when none. */
export function udpReceiveQueue(port: number): number {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  let bytes = 0;
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'latin1');
    } catch {
      continue; // no IPv6 here
    }
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st tx_queue:rx_queue ...
      const f = line.trim().split(/\s+/);
      if (f[1]?.endsWith(`:${hexPort}`)) bytes += parseInt(f[4]?.split(':')[1] ?? '0', 16);
    }
  }
  return bytes;
}
