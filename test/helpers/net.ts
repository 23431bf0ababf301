import dgram from 'node:dgram';
import { once } from 'node:events';
import net from 'node:net';
import { waitFor } from './wait.js';

/**
 * Ports this process has handed out: the kernel may give the same free port to two calls in a
 * row (the first one's socket is closed by then; measured: 2 of 3,000 calls returned one of the
 * previous five), and a test that asks for several ports at once needs them distinct. The likely cause of a rare failure: a chargen client that read 4
 * bytes (time's answer) and then nothing, the two services having been given one port.
 */
const handedOut = new Set<number>();

/** A port free for both TCP and UDP on loopback right now, never one this process got before. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const server = net.createServer();
    server.listen(0, '::');
    await once(server, 'listening');
    const port = (server.address() as net.AddressInfo).port;
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
