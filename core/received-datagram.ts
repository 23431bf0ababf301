import type { Datagram } from './connection.js';
import { guardDatagramReply } from './udp-guard.js';

/**
 * How a reply leaves: the native socket's send(data, address, port, replyToken), or dgram's
 * (data, port, address).
 */
export type DatagramSend = (data: Uint8Array, address: string, port: number, replyToken?: number) => void;

/**
 * One datagram received by a service served in the daemon: one object per datagram (no
 * closures), replies guarded against echo storms.
 */
export class ReceivedDatagram implements Datagram {
  constructor(
    readonly data: Buffer,
    private readonly send: DatagramSend,
    private readonly address: string,
    private readonly port: number,
    private readonly servicePort: number,
    private readonly replyToken?: number,
  ) {}

  reply(data: Uint8Array | string): void {
    if (!guardDatagramReply(this.port, this.servicePort)) return;
    this.send(typeof data === 'string' ? Buffer.from(data, 'latin1') : data, this.address, this.port, this.replyToken);
  }
}
