/** A UDP client on 127.0.0.1 for the limits tests, closed when the test ends. */
import dgram from 'node:dgram';
import { once } from 'node:events';
import type { TestContext } from 'node:test';
import { waitFor } from '../helpers/wait.js';

export interface UdpClient {
  readonly socket: dgram.Socket;
  /** Every reply so far, with the port it came from. */
  readonly received: readonly { readonly port: number; readonly text: string }[];
  send(text: string, port: number): void;
  /** Wait (bounded) until a reply equal to `text` has arrived. */
  next(text: string, ms?: number): Promise<void>;
}

export async function udpClient(t: TestContext): Promise<UdpClient> {
  const socket = dgram.createSocket('udp4');
  t.after(() => socket.close());
  const received: { port: number; text: string }[] = [];
  socket.on('message', (msg, rinfo) => received.push({ port: rinfo.port, text: msg.toString() }));
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  return {
    socket,
    received,
    send: (text, port) => socket.send(text, port, '127.0.0.1'),
    next: async (text, ms = 10_000) => {
      await waitFor(`datagram reply ${text}`, () => (received.some((r) => r.text === text) ? true : undefined), { ms });
    },
  };
}
