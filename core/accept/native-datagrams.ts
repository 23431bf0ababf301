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
 * One received datagram: its own copy of the bytes, the source, a reply token that lets a
 * reply made while its batch is being handled leave with the batch's others (see send()), and
 * when its batch was read (epoch ms; one clock read per batch).
 */
export type OnNativeDatagram = (data: Buffer, address: string, port: number, replyToken: number, receivedAt: number) => void;

// The areas shared with core/accept/datagrams.c; the sizes must match its #defines.
const BATCH = 32;
const MAX_DATAGRAM = 65536;
const ADDRESS_TEXT = 64;
const REPLIES = 64;
const REPLY_SIZE = 2048;

interface SharedAreas {
  readonly inbox: Buffer;
  readonly inMeta: Int32Array;
  readonly addresses: Buffer;
  readonly outbox: Buffer;
  readonly outMeta: Int32Array;
}

let shared: SharedAreas | undefined;

function sharedAreas(native: NativeAccept): SharedAreas {
  if (shared) return shared;
  const areas: SharedAreas = {
    // Not zero-filled and not touched until datagrams arrive: pages cost memory only once used.
    inbox: Buffer.allocUnsafeSlow(BATCH * MAX_DATAGRAM),
    inMeta: new Int32Array(BATCH * 3),
    addresses: Buffer.alloc(BATCH * ADDRESS_TEXT),
    outbox: Buffer.allocUnsafeSlow(REPLIES * REPLY_SIZE),
    outMeta: new Int32Array(1 + REPLIES * 2),
  };
  native.initDatagrams(areas.inbox, areas.inMeta, areas.addresses, areas.outbox, areas.outMeta);
  shared = areas;
  return areas;
}

/** The socket whose batch is being handled (the event loop runs one at a time). */
let receiving: NativeDatagramSocket | undefined;

/**
 * A bound UDP socket of a datagram service served by the daemon, read by the native receive
 * path (recvmmsg, a whole batch per call into JavaScript) and answered through the batch's
 * sendmmsg, or one sendto() for a reply made later: no dgram.Socket, no rinfo objects, no
 * address lookup for a reply to a datagram of the current batch.
 */
export class NativeDatagramSocket {
  /** The bound address and port (the kernel's choice for port 0). */
  readonly endpoint: Endpoint;
  readonly #native: NativeAccept;
  readonly #areas: SharedAreas;
  readonly #fd: number;
  readonly #receiver: ReceiverHandle;
  readonly #onDatagram: OnNativeDatagram;
  /** Counts batches, so a token from an earlier batch never names this batch's source. */
  #batch = 0;
  /** The last address text read: the native side sends a text only when the source changes. */
  #address = '';
  #stopped = false;

  /** `undefined` when the address is not numeric for its family (the caller uses node:dgram). */
  static create(native: NativeAccept, options: NativeDatagramOptions, onDatagram: OnNativeDatagram): NativeDatagramSocket | undefined {
    if (options.family === 4 ? !isIPv4(options.address) : !isIPv6(options.address)) return undefined;
    const areas = sharedAreas(native);
    let fd: number;
    try {
      fd = native.bindDatagram(options.family, options.address, options.port, options.v6only);
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      e.message = `${e.message} ${options.address}:${options.port}`;
      throw e;
    }
    return new NativeDatagramSocket(native, areas, fd, options, onDatagram);
  }

  private constructor(native: NativeAccept, areas: SharedAreas, fd: number, options: NativeDatagramOptions, onDatagram: OnNativeDatagram) {
    this.#native = native;
    this.#areas = areas;
    this.#fd = fd;
    this.#onDatagram = onDatagram;
    this.endpoint = { address: options.address, port: native.localEndpoint(fd)?.[1] ?? options.port };
    this.#receiver = native.startDatagrams(fd, this.#onBatch);
  }

  readonly #onBatch = (count: number): void => {
    const { inbox, inMeta, addresses } = this.#areas;
    const base = ++this.#batch * BATCH;
    // A lone datagram's reply goes out at once (sendto), before its START record is written:
    // nothing to send it with, and the client is waiting.
    receiving = count > 1 ? this : undefined;
    const receivedAt = Date.now();
    let address = this.#address;
    let i = 0;
    try {
      for (; i < count && !this.#stopped; i++) {
        const length = inMeta[i * 3]!;
        if (length < 0) continue;
        const textLength = inMeta[i * 3 + 2]!;
        if (textLength > 0) address = addresses.toString('latin1', i * ADDRESS_TEXT, i * ADDRESS_TEXT + textLength);
        // A copy from Node's buffer pool: the handler may keep it, the inbox is reused.
        const data = Buffer.allocUnsafe(length);
        inbox.copy(data, 0, i * MAX_DATAGRAM, i * MAX_DATAGRAM + length);
        this.#onDatagram(data, address, inMeta[i * 3 + 1]!, base + i, receivedAt);
      }
    } finally {
      receiving = undefined;
      // The next batch leaves out the text of a source that is this batch's last one: keep it,
      // even when the loop ended early (a stopped socket, a throw).
      this.#address = this.#lastText(i, count, address);
    }
  };

  /** The address text of the batch's last described datagram, `address` if none after `from`. */
  #lastText(from: number, count: number, address: string): string {
    const { inMeta, addresses } = this.#areas;
    for (let j = count - 1; j >= from; j--) {
      const textLength = inMeta[j * 3 + 2]!;
      if (inMeta[j * 3]! >= 0 && textLength > 0) return addresses.toString('latin1', j * ADDRESS_TEXT, j * ADDRESS_TEXT + textLength);
    }
    return address;
  }

  /**
   * Send one datagram; a full socket buffer drops it, as UDP may. With the token of a datagram
   * of the batch being handled, the reply goes out with the batch (to that datagram's source);
   * otherwise at once.
   */
  send(data: Uint8Array, address: string, port: number, replyToken = -1): void {
    if (this.#stopped) return;
    const { outbox, outMeta } = this.#areas;
    const queued = outMeta[0]!;
    const index = replyToken - this.#batch * BATCH;
    if (receiving === this && index >= 0 && index < BATCH && queued < REPLIES && data.length <= REPLY_SIZE) {
      outbox.set(data, queued * REPLY_SIZE);
      outMeta[1 + queued * 2] = index;
      outMeta[2 + queued * 2] = data.length;
      outMeta[0] = queued + 1;
      return;
    }
    this.#native.sendDatagram(this.#fd, data, address, port);
  }

  close(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#native.stopDatagrams(this.#receiver);
  }
}
