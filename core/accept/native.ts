/**
 * The native accept addon (core/accept/acceptor.c, built into dist/native/acceptor.node), or
 * undefined when it was not built (no Node headers at install time) or is switched off with
 * XINETD_TS_NATIVE_ACCEPT=0. The daemon then accepts through net.Server: same behaviour, more
 * CPU per connection.
 */
import { createRequire } from 'node:module';
import { nativePath } from '../native-path.js';

/** An opaque handle to one polling acceptor; invalid after stop(). */
export type AcceptorHandle = { readonly __acceptor: unique symbol };
/** An opaque handle to one datagram receiver; invalid after stopDatagrams(). */
export type ReceiverHandle = { readonly __receiver: unique symbol };

export interface NativeAccept {
  /** A bound, listening, non-blocking, close-on-exec TCP socket. Throws an Error with errno and syscall. */
  listen(family: 4 | 6, address: string, port: number, v6only: boolean, backlog: number): number;
  /** Poll `fd` on the event loop; `fd < 0` in the callback is -errno of a failed accept (polling paused). */
  start(fd: number, nodelay: boolean, keepalive: boolean, onConnection: (fd: number, address: string, port: number) => void): AcceptorHandle;
  pause(acceptor: AcceptorHandle): void;
  resume(acceptor: AcceptorHandle): void;
  /** Stop polling and close the listening descriptor. */
  stop(acceptor: AcceptorHandle): void;
  localEndpoint(fd: number): [string, number] | undefined;
  /** One non-blocking send: bytes written, or -errno. */
  answer(fd: number, data: Uint8Array): number;
  /** shutdown(SHUT_WR), then close: the client gets a FIN even if its bytes were never read. */
  close(fd: number): void;
  /** close only (a descriptor another process shares, such as a channel end). */
  release(fd: number): void;
  /** A SOCK_SEQPACKET socketpair, both ends close-on-exec, ours non-blocking: [ours, theirs]. */
  channel(): [number, number];
  /**
   * One packet holding the `parts` one after the other (latin1, < 64 KiB in all, at most 6) and a
   * copy of `fd`: 0, or -errno (-EAGAIN when the channel is full, -EMSGSIZE when too long).
   */
  sendDescriptor(channel: number, fd: number, ...parts: string[]): number;

  /**
   * The areas every datagram receiver shares with JavaScript (sizes in core/accept/datagrams.c):
   * received datagrams and their (length, port, address text length), address texts, queued
   * replies and their (count; datagram index, length). Once per process.
   */
  initDatagrams(inbox: Buffer, inMeta: Int32Array, addresses: Buffer, outbox: Buffer, outMeta: Int32Array): void;
  /** A bound, non-blocking, close-on-exec UDP socket. Throws an Error with code, errno and syscall. */
  bindDatagram(family: 4 | 6, address: string, port: number, v6only: boolean): number;
  /**
   * Poll `fd`; each wakeup reads up to 32 datagrams at a time (recvmmsg) into the shared areas and
   * calls `onBatch(count)`; the replies queued in the outbox during that call are sent (sendmmsg).
   */
  startDatagrams(fd: number, onBatch: (count: number) => void): ReceiverHandle;
  /** Stop polling and close the socket. */
  stopDatagrams(receiver: ReceiverHandle): void;
  /** One non-blocking sendto(): bytes sent, or -errno. */
  sendDatagram(fd: number, data: Uint8Array, address: string, port: number): number;

  /** sched_getscheduler(pid): SCHED_OTHER 0, SCHED_BATCH 3, SCHED_IDLE 5..., or -errno; 0 is this process. */
  schedulingPolicy(pid: number): number;
  /** SCHED_BATCH (true) or SCHED_OTHER (false) for process `pid`, nice value kept: 0 or -errno. */
  setBatchScheduling(pid: number, batch: boolean): number;
}

function load(): NativeAccept | undefined {
  if (process.env.XINETD_TS_NATIVE_ACCEPT === '0') return undefined;
  try {
    return createRequire(import.meta.url)(nativePath('acceptor.node')) as NativeAccept;
  } catch {
    return undefined;
  }
}

export const nativeAccept: NativeAccept | undefined = load();
