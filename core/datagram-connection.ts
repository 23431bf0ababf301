import type { Connection, Datagram, Endpoint } from './connection.js';
import type { ServiceConfig } from './service-config.js';
import type { ServiceState } from './service-state.js';
import { guardDatagramReply } from './udp-guard.js';

/**
 * How a reply leaves: the native socket's send(data, address, port, replyToken), or dgram's
 * (data, port, address).
 */
export type DatagramSend = (data: Uint8Array, address: string, port: number, replyToken?: number) => void;

/**
 * One datagram received by a service served in the daemon: the connection and its datagram
 * in one object (`datagram` is the object itself), so a datagram costs the pipeline one
 * allocation besides its bytes and source. Replies are guarded against echo storms.
 */
export class DatagramConnection implements Connection, Datagram {
  readonly datagram: Datagram = this;

  constructor(
    readonly id: number,
    readonly service: ServiceConfig,
    readonly state: ServiceState,
    readonly data: Buffer,
    readonly peer: Endpoint,
    readonly local: Endpoint,
    readonly startedAt: number,
    private readonly send: DatagramSend,
    private readonly replyToken?: number,
  ) {}

  reply(data: Uint8Array | string): void {
    const { address, port } = this.peer;
    if (!guardDatagramReply(port, this.service.port)) return;
    this.send(typeof data === 'string' ? Buffer.from(data, 'latin1') : data, address, port, this.replyToken);
  }
}
