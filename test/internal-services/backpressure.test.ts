import assert from 'node:assert/strict';
import { once } from 'node:events';
import type net from 'node:net';
import { after, before, test } from 'node:test';
import { startDaemon, type RunningDaemon } from '../helpers/daemon.js';
import { classicServices, connect, rssBytes, udpSocket } from '../helpers/internal-services.js';
import { datagram, freePort } from '../helpers/net.js';

/** Memory the daemon may grow by while a client misbehaves (a fixed allowance, not a rate). */
const RSS_ALLOWANCE = 30 * 1024 * 1024;
const PUSH = 200 * 1024 * 1024;

let d: RunningDaemon;
const ports = { echo: 0, discard: 0, daytime: 0, time: 0, chargen: 0 };

before(async () => {
  for (const name of Object.keys(ports) as (keyof typeof ports)[]) ports[name] = await freePort();
  d = await startDaemon(`defaults\n{\n\tcps = 0\n}\n${classicServices(ports)}`);
  // Warm up the paths measured below, so the baseline already holds their code.
  for (let i = 0; i < 50; i++) await datagram(ports.daytime, 'x');
});
after(() => d.stop());

/** The daemon answers (its event loop turns) after some hundred requests. */
async function roundTrips(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await datagram(ports.daytime, 'x');
}

/**
 * Write up to `total` bytes honouring our own back-pressure; stop when a 'drain' does not come
 * within `stallMs` (the peer stopped reading). Returns the bytes the kernel accepted.
 */
async function pushUntilStalled(socket: net.Socket, total: number, stallMs = 2000): Promise<number> {
  const chunk = Buffer.alloc(1 << 20, 0x61);
  let written = 0;
  while (written < total) {
    written += chunk.length;
    if (socket.write(chunk)) continue;
    const drained = await Promise.race([
      once(socket, 'drain').then(() => true),
      new Promise<boolean>((resolve) => setTimeout(resolve, stallMs, false).unref()),
    ]);
    if (!drained) break;
  }
  return written - socket.writableLength;
}

test('echo: a client that sends without reading stalls after the socket buffers; the daemon does not buffer', async () => {
  const base = rssBytes(d.child.pid!);
  const socket = await connect(ports.echo);
  socket.pause();
  const accepted = await pushUntilStalled(socket, PUSH);
  await roundTrips(200);
  const grown = rssBytes(d.child.pid!) - base;
  socket.destroy();
  assert.ok(accepted < PUSH, `the daemon swallowed all ${accepted} bytes without the client reading`);
  assert.ok(grown < RSS_ALLOWANCE, `daemon RSS grew by ${grown} bytes after ${accepted} bytes were pushed`);
});

test('chargen: a client that never reads leaves the daemon flat; a slow reader of 100 MiB too', async () => {
  const base = rssBytes(d.child.pid!);
  const idle = await connect(ports.chargen);
  idle.pause();
  // Many event-loop turns with the kernel buffers full: an unbounded writer would queue per turn.
  await roundTrips(500);
  const idleGrowth = rssBytes(d.child.pid!) - base;
  assert.ok(idleGrowth < RSS_ALLOWANCE, `daemon RSS grew by ${idleGrowth} bytes with a non-reading chargen client`);

  const slow = await connect(ports.chargen);
  let read = 0;
  let peak = 0;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`read only ${read} bytes`)), 60_000);
    slow.on('data', (c: Buffer) => {
      read += c.length;
      if (read >= 100 * 1024 * 1024) {
        clearTimeout(timer);
        slow.destroy();
        resolve();
        return;
      }
      // Read a little, then let the daemon fill the buffers again before reading more.
      slow.pause();
      setImmediate(() => {
        peak = Math.max(peak, rssBytes(d.child.pid!) - base);
        slow.resume();
      });
    });
  });
  idle.destroy();
  assert.ok(peak < RSS_ALLOWANCE, `daemon RSS grew by ${peak} bytes serving a slow reader`);
});

test('a bounded flood of datagrams to dgram echo never queues without bound', async () => {
  const base = rssBytes(d.child.pid!);
  const client = await udpSocket();
  // The client never reads the replies; the kernel drops what does not fit.
  client.on('message', () => undefined);
  client.setSendBufferSize(1 << 20);
  const payload = Buffer.alloc(1400, 0x62);
  try {
    for (let batch = 0; batch < 100; batch++) {
      await Promise.all(Array.from({ length: 1000 }, () => new Promise<void>((resolve) => client.send(payload, ports.echo, '127.0.0.1', () => resolve()))));
    }
  } finally {
    client.close();
  }
  await roundTrips(100);
  const grown = rssBytes(d.child.pid!) - base;
  assert.ok(grown < RSS_ALLOWANCE, `daemon RSS grew by ${grown} bytes after 100000 datagrams`);
});
