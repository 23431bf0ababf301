/**
 * Ports for the benchmark: a contiguous block below the ephemeral range (32768+), so the load
 * generator's own client ports never collide with a service, checked free for TCP on 127.0.0.1
 * and UDP on ::1.
 */
import dgram from 'node:dgram';
import net from 'node:net';

function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen({ host: '127.0.0.1', port, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp6');
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind({ address: '::1', port, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/** `count` consecutive free ports; bounded number of attempts. */
export async function portBlock(count: number): Promise<number[]> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = 12000 + Math.floor(Math.random() * (32000 - 12000 - count));
    let ok = true;
    for (let p = base; p < base + count && ok; p++) ok = (await tcpFree(p)) && (await udpFree(p));
    if (ok) return Array.from({ length: count }, (_, i) => base + i);
  }
  throw new Error(`no block of ${count} free ports found below 32000`);
}

export { udpFree };
