import { isIPv4, isIPv6 } from 'node:net';
import type { Endpoint } from '../connection.js';
import type { NativeAccept, ReceiverHandle } from './native.js';

export interface NativeDatagramOptions {
  readonly family: 4 | 6;
  readonly address: string;
  readonly port: number;
  readonly v6only: boolean;
}

/**
 * A bound UDP socket of a datagram service served by the daemon, read by the native receive
 * path (recvmmsg) and answered with one sendto() per reply: no dgram.Socket, no rinfo objects,
 * no address lookup per send.
 */
export class NativeDatagramSocket {
  /** The bound address and port (the kernel's choice for port 0). */
  readonly endpoint: Endpoint;
  readonly #native: NativeAccept;
  readonly #fd: number;
  readonly #receiver: ReceiverHandle;
  #stopped = false;

  /** `undefined` when the address is not numeric for its family (the caller uses node:dgram). */
  static create(
    native: NativeAccept,
    options: NativeDatagramOptions,
    onDatagram: (data: Buffer, address: string, port: number) => void,
  ): NativeDatagramSocket | undefined {
    if (options.family === 4 ? !isIPv4(options.address) : !isIPv6(options.address)) return undefined;
    let fd: number;
    try {
      fd = native.bindDatagram(options.family, options.address, options.port, options.v6only);
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      e.message = `${e.message} ${options.address}:${options.port}`;
      throw e;
    }
    return new NativeDatagramSocket(native, fd, options, onDatagram);
  }

  private constructor(native: NativeAccept, fd: number, options: NativeDatagramOptions, onDatagram: (data: Buffer, address: string, port: number) => void) {
    this.#native = native;
    this.#fd = fd;
    this.endpoint = { address: options.address, port: native.localEndpoint(fd)?.[1] ?? options.port };
    this.#receiver = native.startDatagrams(fd, onDatagram);
  }

  /** Send one datagram; a full socket buffer drops it, as UDP may. */
  send(data: Uint8Array, address: string, port: number): void {
    if (!this.#stopped) this.#native.sendDatagram(this.#fd, data, address, port);
  }

  close(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#native.stopDatagrams(this.#receiver);
  }
}
