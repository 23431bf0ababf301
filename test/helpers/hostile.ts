/**
 * Hostile clients: a seeded random source, a capped client connection that ends in a chosen way
 * (FIN, reset), the daemon's descriptor count, and ports taken from a fixed range.
 */
import dgram from 'node:dgram';
import { readdirSync } from 'node:fs';
import net from 'node:net';
import { connectWatched } from './net.js';
import { waitFor } from './wait.js';

/** mulberry32: a small deterministic generator, so a failing round can be replayed by its seed. */
export function seeded(seed: number): Rng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (low: number, high: number) => low + Math.floor(next() * (high - low + 1));
  return {
    int,
    pick: <T>(items: readonly T[]): T => items[int(0, items.length - 1)]!,
    bytes: (n: number) => {
      const out = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; i++) out[i] = int(0, 255);
      return out;
    },
  };
}

export interface Rng {
  /** An integer in [low, high]. */
  int(low: number, high: number): number;
  pick<T>(items: readonly T[]): T;
  bytes(n: number): Buffer;
}

/** Descriptors a process holds open (/proc/PID/fd). */
export function openDescriptors(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** `n` ports of [low, high] free for TCP and UDP on 127.0.0.1 right now, in order. */
export async function portsInRange(n: number, low: number, high: number): Promise<number[]> {
  const found: number[] = [];
  for (let port = low; port <= high && found.length < n; port++) {
    if (await bindable(port)) found.push(port);
  }
  if (found.length < n) throw new Error(`only ${found.length} of ${n} ports free in ${low}-${high}`);
  return found;
}

async function bindable(port: number): Promise<boolean> {
  const server = net.createServer();
  const tcp = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => resolve(true));
  });
  if (!tcp) return false;
  const udp = dgram.createSocket('udp4');
  const ok = await new Promise<boolean>((resolve) => {
    udp.once('error', () => resolve(false));
    udp.bind(port, '127.0.0.1', () => resolve(true));
  });
  udp.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return ok;
}

/** A client connection that keeps at most `keep` received bytes and counts the rest. */
export interface HostileClient {
  readonly socket: net.Socket;
  /** The first bytes received (at most `keep`). */
  received(): Buffer;
  /** All bytes received so far. */
  count(): number;
  readonly isClosed: () => boolean;
  /** Resolves once at least `n` bytes arrived or the peer closed (bounded). */
  atLeast(n: number, ms?: number): Promise<void>;
  /** Resolves when the connection is closed; after `ms` the client resets it and rejects. */
  closed(ms?: number): Promise<void>;
  /** An RST instead of a FIN (SO_LINGER 0). */
  reset(): void;
}

export async function hostileClient(port: number, options: { keep?: number; ms?: number } = {}): Promise<HostileClient> {
  const keep = options.keep ?? 64 * 1024;
  const { socket, closed } = await connectWatched(port, { ms: options.ms });
  const chunks: Buffer[] = [];
  let kept = 0;
  let total = 0;
  let isClosed = socket.destroyed;
  socket.on('close', () => (isClosed = true));
  socket.on('data', (c: Buffer) => {
    total += c.length;
    if (kept < keep) {
      const part = c.subarray(0, keep - kept);
      chunks.push(Buffer.from(part));
      kept += part.length;
    }
  });
  return {
    socket,
    received: () => Buffer.concat(chunks),
    count: () => total,
    isClosed: () => isClosed,
    atLeast: (n, ms = 5000) => waitFor(`${n} bytes from port ${port}`, () => (total >= n || isClosed ? true : undefined), { ms, everyMs: 5 }).then(
      () => undefined,
      (error: Error) => Promise.reject(new Error(`${error.message} (got ${total})`)),
    ),
    closed: async (ms = 5000) => {
      let timeout: NodeJS.Timeout | undefined;
      try {
        await Promise.race([closed, new Promise<never>((_, reject) => (timeout = setTimeout(() => reject(new Error(`port ${port} did not close within ${ms} ms (received ${total} bytes)`)), ms)))]);
      } catch (error) {
        socket.resetAndDestroy();
        throw error;
      } finally {
        clearTimeout(timeout);
      }
    },
    reset: () => {
      if (!socket.destroyed) socket.resetAndDestroy();
    },
  };
}

/** Run `jobs` with at most `width` at once; every job runs, the first error is thrown at the end. */
export async function pool(width: number, jobs: readonly (() => Promise<void>)[]): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      await job().catch((error: unknown) => errors.push(error));
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  if (errors.length) throw errors[0];
}
