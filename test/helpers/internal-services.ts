import dgram from 'node:dgram';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';

/** Resident memory of a process, in bytes (VmRSS in /proc/PID/status). */
export function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) * 1024;
}

/** Connect to 127.0.0.1:port (bounded). */
export async function connect(port: number, options: { host?: string; localAddress?: string; ms?: number } = {}): Promise<net.Socket> {
  const socket = net.connect({ port, host: options.host ?? '127.0.0.1', localAddress: options.localAddress });
  const timer = setTimeout(() => socket.destroy(new Error(`connect to ${port} timed out`)), options.ms ?? 5000);
  try {
    await once(socket, 'connect');
    return socket;
  } finally {
    clearTimeout(timer);
  }
}

/** Read exactly `n` bytes (or fewer when the peer closes first), bounded by `ms`. */
export function readBytes(socket: net.Socket, n: number, ms = 10_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let have = 0;
    const done = (error?: Error) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.pause();
      if (error) reject(error);
      else resolve(Buffer.concat(chunks).subarray(0, n));
    };
    const onData = (c: Buffer) => {
      chunks.push(c);
      have += c.length;
      if (have >= n) done();
    };
    const onClose = () => done();
    const timer = setTimeout(() => done(new Error(`read ${have} of ${n} bytes within ${ms} ms`)), ms);
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.resume();
  });
}

/** Read until the peer closes (bounded). */
export function readToEnd(socket: net.Socket, ms = 10_000): Promise<Buffer> {
  return readBytes(socket, Number.MAX_SAFE_INTEGER, ms);
}

/** A UDP socket bound on loopback (port 0 = any), closed by the caller. */
export async function udpSocket(port = 0, address = '127.0.0.1'): Promise<dgram.Socket> {
  const socket = dgram.createSocket({ type: net.isIPv6(address) ? 'udp6' : 'udp4', reuseAddr: false });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, address, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  return socket;
}

/** The next datagram on `socket` (bounded). */
export async function nextDatagram(socket: dgram.Socket, ms = 5000): Promise<{ data: Buffer; port: number }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off('message', onMessage);
      reject(new Error('no datagram'));
    }, ms);
    const onMessage = (data: Buffer, rinfo: dgram.RemoteInfo) => {
      clearTimeout(timer);
      resolve({ data, port: rinfo.port });
    };
    socket.once('message', onMessage);
  });
}

/** The five classic services, stream and dgram, on the given ports; records to `log`. */
export function classicServices(ports: { echo: number; discard: number; daytime: number; time: number; chargen: number }, extra = ''): string {
  let text = '';
  for (const [name, port] of Object.entries(ports)) {
    for (const [socketType, protocol, wait] of [['stream', 'tcp', 'no'], ['dgram', 'udp', 'yes']] as const) {
      text += `service ${name}\n{\n\tid = ${name}-${socketType}\n\ttype = INTERNAL UNLISTED\n\tsocket_type = ${socketType}\n\tprotocol = ${protocol}\n\twait = ${wait}\n\tport = ${port}\n\tbind = 127.0.0.1\n${extra}}\n`;
    }
  }
  return text;
}

/**
 * The tcpmux tests' common head: `defaults` logging to `log` (no cps limit) and the tcpmux
 * service itself on 127.0.0.1:`port`; `extra` lines go into the tcpmux service block.
 */
export function tcpmuxHead(log: string, port: number, options: { success?: string; extra?: string } = {}): string {
  return `defaults
{
	log_type = FILE ${log}
	log_on_success = ${options.success ?? 'PID HOST'}
	log_on_failure = HOST
	cps = 0
}
service tcpmux
{
	type = INTERNAL UNLISTED
	socket_type = stream
	protocol = tcp
	wait = no
	port = ${port}
	bind = 127.0.0.1
${options.extra ?? ''}}
`;
}
