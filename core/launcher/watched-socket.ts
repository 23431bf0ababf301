/**
 * A wait = yes socket handed over to a launcher process, which watches it and starts the server
 * on it (docs/launcher.md); the daemon keeps an idle copy to give a restarted launcher.
 */
import type * as dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import type { LaunchPlan } from './launch-plan.js';
import type { LauncherProcess } from './launcher-process.js';
import type { LaunchedServer, RunningServer } from './running-server.js';
import { encodeToken } from './wire-encoding.js';

/** Where a datagram came from (dgram wait = yes); stream wait = yes has no address. */
export interface PeerAddress {
  readonly address: string;
  readonly port: number;
  readonly family: 'IPv4' | 'IPv6';
}

/** A wait = yes socket watched by the launcher. Events: 'ready' (peer?), 'lost'. */
export interface WatchedSocket extends EventEmitter {
  readonly kind: 'stream' | 'dgram';
  /** After 'ready': start the server with this socket as fds 0, 1, 2; watching resumes when it exits. */
  launch(plan: LaunchPlan): Promise<RunningServer>;
  /** After 'ready': drop one pending connection/datagram and resume watching. */
  refuse(): void;
  /** Stop watching and close every copy of the socket held by the launcher and the daemon. */
  release(): Promise<void>;
}

/** A raw libuv handle received from the launcher (TCPWrap / UDPWrap): we only ever close it. */
export interface RawHandle {
  close(cb?: () => void): void;
}

/** WatchedSocket as the launcher process keeps it: its state in the watch/launch cycle. */
export class Watched extends EventEmitter implements WatchedSocket {
  keep?: RawHandle;
  state: 'adopting' | 'watching' | 'ready' | 'running' | 'released' = 'adopting';
  /** The server using the socket when the launcher died. */
  orphanServer?: LaunchedServer;
  releaseWaiters: (() => void)[] = [];

  constructor(
    private readonly owner: LauncherProcess,
    readonly sid: string,
    readonly kind: 'stream' | 'dgram',
  ) {
    super();
  }

  launch(plan: LaunchPlan): Promise<RunningServer> {
    if (this.state !== 'ready') return Promise.reject(new Error(`socket ${this.sid} is not ready (${this.state})`));
    this.state = 'running';
    return this.owner.startServer((id) => `launch ${encodeToken(this.sid)} ${id} ${this.owner.planTokens(plan)}`, undefined, this);
  }

  refuse(): void {
    if (this.state !== 'ready') return;
    this.state = 'watching';
    this.owner.sendQuiet(`refuse ${encodeToken(this.sid)}`);
  }

  release(): Promise<void> {
    if (this.state === 'released') return Promise.resolve();
    this.state = 'released';
    const done = new Promise<void>((resolve) => this.releaseWaiters.push(resolve));
    this.owner.releaseWatched(this);
    return done;
  }

  closeKeep(): void {
    const k = this.keep;
    this.keep = undefined;
    if (k) k.close();
  }

  released(): void {
    this.closeKeep();
    const w = this.releaseWaiters;
    this.releaseWaiters = [];
    for (const f of w) f();
  }
}

/** Stop Node's own recvmsg on a bound dgram socket so it never consumes a datagram. */
export function stopDgramReceiving(socket: dgram.Socket): void {
  for (const sym of Object.getOwnPropertySymbols(socket)) {
    if (sym.description !== 'state symbol') continue;
    const state = (socket as unknown as Record<symbol, { handle?: { recvStop?: () => number }; receiving?: boolean }>)[sym];
    if (state?.handle?.recvStop) {
      state.handle.recvStop();
      state.receiving = false;
    }
    return;
  }
}
